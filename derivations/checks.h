/* derivations/checks.h: `bpcheck derivations`: one numerical check per equation ID of the
 * five documents, each aimed at that equation itself, and the report derivations/REPORT.md. */
#ifndef BPCHECK_DERIVATIONS_CHECKS_H
#define BPCHECK_DERIVATIONS_CHECKS_H

#include <stddef.h>

typedef struct {
    const char *id, *doc, *formula, *printed; /* as in derivations/equations.tsv */
} bp_equation;

/* The catalogue compiled in (t/derivations checks it equals derivations/equations.tsv). */
extern const bp_equation bp_equations[];
extern const size_t bp_nequations;

/* argv[0] is "derivations". Returns the exit status (0 all checks pass, TODO errata
 * included; 1 a check fails; 2 usage). */
int bp_derivations_main(int argc, char **argv);

#endif
