/* testsuite/adapters/adapters.h: the bundled reference adapter (reference.c). */
#ifndef BPCHECK_ADAPTERS_H
#define BPCHECK_ADAPTERS_H

#include <stdio.h>

#include <jansson.h>

/* Serve bpcheck-protocol/1 requests from in to out until in closes. */
int bp_adapter_reference(FILE *in, FILE *out);
/* The reference's answer to one request line. */
json_t *bp_adapter_answer(const char *line, size_t len);

#endif
