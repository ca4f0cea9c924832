/* testsuite/adapters/adapters.h: the protocol loop of an adapter in C (reference.c), and the
 * bundled reference served through it. */
#ifndef BPCHECK_ADAPTERS_H
#define BPCHECK_ADAPTERS_H

#include <stdio.h>

#include <jansson.h>

#include "fixture.h"

/* An implementation: from c's model, params, batch, cost, reduction and eta, fill the cost,
 * the gradient, the step and the trace (z, a, delta), or return non-zero with err set. */
typedef int (*bp_adapter_fn)(const bp_case *c, double *cost, bp_model *grad, bp_model *step,
                             bp_trace *t, void *ctx, bp_error *err);

/* Serve bpcheck-protocol requests from in to out until in closes, answering with f: JSON
 * lines, and binary frames once a request has offered them (PROTOCOL.md). */
int bp_adapter_loop(FILE *in, FILE *out, bp_adapter_fn f, void *ctx);
/* f's answer to one request line: the wanted quantities, or {"id", "error"}. */
json_t *bp_adapter_answer_with(const char *line, size_t len, bp_adapter_fn f, void *ctx);

/* A framed request (its header req parsed; its payload next on in): the framed answer is
 * written to out and NULL returned, or an error answer returned for a JSON line. */
json_t *bp_adapter_framed_answer(json_t *req, FILE *in, FILE *out, bp_adapter_fn f, void *ctx);

/* The bundled reference as an adapter function (bp_gradient, bp_model_step). */
int bp_adapter_reference_fn(const bp_case *c, double *cost, bp_model *grad, bp_model *step,
                            bp_trace *t, void *ctx, bp_error *err);

/* The same, for the bundled reference. */
int bp_adapter_reference(FILE *in, FILE *out);
json_t *bp_adapter_answer(const char *line, size_t len);

#endif
