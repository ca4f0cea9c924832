/* testsuite/tap/tap.h: a small TAP producer for bpcheck's test programs.
 *
 * The stream is TAP 14 in content (plan first or last, SKIP and TODO directives, a YAML
 * diagnostic block under every failing point). Its version line says 13 by default: every
 * construct we emit is in the common subset of 13 and 14, the TAP 14 specification tells
 * harnesses to read a 13 stream as 14, and Debian 12's prove (Test::Harness 3.44) rejects a
 * "TAP version 14" line (3.48 accepts it). Set TAP_VERSION=14 in the environment to print 14.
 *
 * Verdicts: a failing point that is not TODO makes tap_done() return 1, so main can
 * `return tap_done();`. NaN never passes a numeric comparison; an infinity passes only against
 * the same infinity. Diagnostics for humans (tap_diag) go to stderr like Test::More's, so prove
 * shows them; the YAML blocks go to stdout inside the TAP stream.
 */
#ifndef BPCHECK_TAP_H
#define BPCHECK_TAP_H

#include <stddef.h>

#if defined(__GNUC__)
#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TAP_NORETURN __attribute__((noreturn))
#else
#define TAP_PRINTF(f, a)
#define TAP_NORETURN
#endif

/* Announce the number of points up front (prints the version line and "1..n"). */
void tap_plan(int n);

/* End the stream: print the plan if none was given, return the exit status (0 or 1). */
int tap_done(void);

/* The basic point. Returns cond != 0. */
int tap_ok(int cond, const char *fmt, ...) TAP_PRINTF(2, 3);

int tap_is_int(long got, long expected, const char *fmt, ...) TAP_PRINTF(3, 4);

/* Combined tolerance: passes iff both are finite and |got - expected| <= atol + rtol*|expected|,
 * or both are the same infinity. NaN never passes. */
int tap_is_double(double got, double expected, double rtol, double atol, const char *fmt, ...)
    TAP_PRINTF(5, 6);

/* The same criterion over a (rows, cols) row-major array: one point, which fails if any entry
 * fails. tol, if not NULL, is a per-entry absolute tolerance used INSTEAD of atol + rtol*|e|.
 * The YAML block names the worst entry by [row, col] (or [i] when cols == 1), its got,
 * expected, abs and rel error, and how many entries of how many are out of tolerance. */
int tap_is_double_array(const double *got, const double *expected, const double *tol,
                        size_t rows, size_t cols, double rtol, double atol, const char *fmt, ...)
    TAP_PRINTF(8, 9);

/* One skipped point: "ok N # SKIP reason". */
void tap_skip(const char *fmt, ...) TAP_PRINTF(1, 2);

/* Points between tap_todo_begin and tap_todo_end carry "# TODO reason"; their failures do not
 * count against the exit status. */
void tap_todo_begin(const char *reason);
void tap_todo_end(void);

/* A "# " comment on stderr (shown by prove) and a note on stdout (in the TAP stream). */
void tap_diag(const char *fmt, ...) TAP_PRINTF(1, 2);
void tap_note(const char *fmt, ...) TAP_PRINTF(1, 2);

/* "Bail out! reason" and exit(255): the program cannot go on. */
void tap_bail_out(const char *fmt, ...) TAP_PRINTF(1, 2) TAP_NORETURN;

/* Counters, for a test of the harness itself. */
int tap_failures(void);

#endif
