/* testsuite/fixture.h: golden-value fixtures, format bpcheck-fixture/1 (fixtures/FORMAT.md):
 * the case type shared by the generator, the tests and the conformance runner, its JSON reader
 * (strict: every problem is an error naming the file, the case and the field) and writer. */
#ifndef BPCHECK_FIXTURE_H
#define BPCHECK_FIXTURE_H

#include <jansson.h>

#include "model.h"

#define BP_FIXTURE_FORMAT "bpcheck-fixture/2"
#define BP_FIXTURE_FORMAT_1 "bpcheck-fixture/1" /* still read: scalar rtol, atol per case */
#define BP_FIXTURE_MAX_JSON (512 << 20) /* bytes of a fixture's JSON text (FORMAT.md) */

struct bp_case_s;

/* The precisions a case has tolerances for (fixtures/FORMAT.md, "Tolerances"). */
typedef enum { BP_FLOAT64, BP_FLOAT32, BP_NPROFILES } bp_precision;

/* Per-entry tolerances: the largest |got - expected| allowed for each expected value, in the
 * shapes of the expected values (trace->a[0] is unused). */
typedef struct {
    double cost;
    bp_model *grad, *step;
    bp_trace *trace;
} bp_bounds;

bp_bounds *bp_bounds_alloc(const bp_model *shape, size_t batch, bp_error *err);
void bp_bounds_free(bp_bounds *b);
/* The bounds atol + rtol |e| of the scalar model (format /1, --rtol and --atol) for case c. */
bp_bounds *bp_bounds_scalar(const struct bp_case_s *c, double rtol, double atol);

typedef struct bp_case_s {
    char *id;
    bp_cost cost;
    bp_reduction red;
    bp_model *params;
    bp_batch *batch;
    double eta;
    /* expected values, each the exact value rounded once to the nearest double */
    double cost_value;
    bp_model *grad, *step;
    bp_trace *trace; /* z, a, delta for layers 1..L; a[0] is the batch's x */
    double rtol, atol; /* format /1's scalar tolerance; NAN in a /2 file */
    /* per-entry tolerances for each precision; NULL with the reason in unmeetable[p] where no
     * correct implementation in that precision can meet the case */
    bp_bounds *bounds[BP_NPROFILES];
    char *unmeetable[BP_NPROFILES];
    size_t nflags, nequations;
    char **flags, **equations;
    /* where the parameters lie, contiguous, in a binary companion (NULL: nowhere): a runner
     * may drop them from memory once sent, and read them back (bp_case_params_drop) */
    char *params_file;
    long long params_offset;
    int params_dropped;
} bp_case;

/* Give the memory of c's parameter values back to the system (their pages, not the model):
 * only for a case whose parameters are in a binary companion, and until
 * bp_case_params_restore reads them back from it. Both do nothing for any other case. */
void bp_case_params_drop(bp_case *c);
int bp_case_params_restore(bp_case *c, bp_error *err);

typedef struct {
    char *generator;
    size_t nnotes;
    char **note_flags, **note_texts;
    size_t ncases;
    bp_case *cases;
} bp_fixture;

/* Read and validate a fixture file. NULL with err naming file, case and field on any problem:
 * malformed JSON, a missing or mistyped key, shapes that disagree with the sizes, a non-finite
 * number, absurd sizes. */
bp_fixture *bp_fixture_load(const char *path, bp_error *err);
/* The same from len bytes of JSON text in memory; path names it in messages (and locates a
 * binary companion, as for a file of that name). */
bp_fixture *bp_fixture_parse(const char *text, size_t len, const char *path, bp_error *err);
/* From now on read only profile p's bounds from a file with a binary companion (the other's
 * stay NULL, with no reason given), or both again with p = -1: a runner that judges one
 * profile need not hold a 4 M-parameter case's other bounds. Plain JSON files give both. */
void bp_fixture_only_profile(int p);
void bp_fixture_free(bp_fixture *f);
void bp_case_clear(bp_case *c);

/* Every DIR/NAME.json, in name order (at most 256 files), or the one file DIR names. Non-zero with err on the first file that
 * cannot be read, or when there is none. */
typedef struct {
    bp_fixture **files;
    size_t nfiles;
} bp_fixture_set;
int bp_fixture_load_dir(bp_fixture_set *fs, const char *dir, bp_error *err);
void bp_fixture_set_free(bp_fixture_set *fs);

/* A case as a JSON object (with its expected values, or without them: the runner's request). */
json_t *bp_case_to_json(const bp_case *c, int with_expected);
/* The request's header alone: id, model (with its activations) and eta, no arrays. */
json_t *bp_case_header_json(const bp_case *c);

/* The "model", "params", "batch" part of a case (or request) into a new case; expected values
 * are left NULL. what names the object in messages ("FILE: case ID"). */
/* A request (or a fixture case's input part) into c. A framed request's header (it has
 * "payload") gives the model, eta and "batch_size": c's params and batch are allocated, their
 * values left for the payload that follows the line. */
int bp_case_from_json_input(bp_case *c, json_t *obj, const char *what, bp_error *err);

/* Write a whole fixture (format, generator, notes, cases): values with 17 significant digits,
 * the bounds (already rounded up to 2 digits, tolerance.h) with 2; with binpath, every array
 * in that binary companion (little-endian float64; the JSON refers to each by {"offset",
 * "count"}), which must sit in path's directory: the JSON names it without a directory
 * (fixtures/FORMAT.md, "Binary companion"). binpath NULL: plain JSON. */
int bp_fixture_write_binary(const char *path, const char *binpath, const char *generator,
                            size_t nnotes, const char *const *note_flags,
                            const char *const *note_texts, const bp_case *cases, size_t ncases,
                            bp_error *err);

/* A W, b pair or a per-layer tensor list as JSON (NULL if a value is not finite). */
json_t *bp_json_params(const bp_model *m);
json_t *bp_json_matrix(const double *v, size_t rows, size_t cols);
json_t *bp_json_layers(double *const *arr, const bp_model *m, size_t batch); /* layers 1..L */

/* And back, checking every shape against the model: {"W", "b"} into m; a list of layers
 * 1..L of batch x n_l into arr[1..L]. what and path name the place in messages. */
int bp_params_from_json(bp_model *m, json_t *obj, const char *what, const char *path,
                        bp_error *err);
int bp_layers_from_json(double **arr, const bp_model *m, size_t batch, json_t *list,
                        const char *what, const char *path, bp_error *err);
const char *bp_json_type_name(const json_t *v);
/* json_dumps, but NULL whenever a write of the text failed: jansson 2.14's own json_dumps
 * ignores a failed write of an object's key (dump.c does not check dump_string there), so
 * when memory runs out it can return a text with a key cut out. The caller frees. */
char *bp_json_dumps(const json_t *j, size_t flags);

#endif
