/* testsuite/conform.h: `bpcheck conform`, the conformance runner (testsuite/PROTOCOL.md). */
#ifndef BPCHECK_CONFORM_H
#define BPCHECK_CONFORM_H

/* argv[0] is "conform"; self is the path of the running bpcheck (for the default --impl).
 * Returns the exit status: 0 all pass, 1 a failure, 2 usage or unusable input. */
int bp_conform_main(int argc, char **argv, const char *self);

#endif
