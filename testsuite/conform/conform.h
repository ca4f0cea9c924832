/* testsuite/conform/conform.h: `bpcheck conform`, the conformance runner (testsuite/PROTOCOL.md). */
#ifndef BPCHECK_CONFORM_H
#define BPCHECK_CONFORM_H

/* argv[0] is "conform"; self is the path of the running bpcheck (for the default --impl).
 * Returns the exit status: 0 all pass, 1 a failure, 2 usage or unusable input. */
int bp_conform_main(int argc, char **argv, const char *self);

/* "<who>: peak memory N KiB" on stderr, N this process's own (VmHWM; make bench reads it),
 * when the environment sets BPCHECK_PEAK_MEMORY */
void bp_peak_memory_report(const char *who);

#include <stddef.h>

/* For the fuzzer (testsuite/fuzz/answer.c) and the replay of its corpus (t/fuzz_corpus):
 * judge len bytes as an implementation's answer line to a small fixed case (quadratic 3-4-2,
 * m = 2, everything wanted), as conform does, with no child to read a payload from; bytes of
 * several lines as a stream of answers to that case and another of other id in turn (out of
 * step when a line is extra or missing). Whatever the bytes, the report stays the runner's:
 * a raw control character, or an unindented line that would be a TAP line of its own, in a
 * failure's YAML aborts (the fuzzer's finding). The verdict: 0 pass, 1 fail, 2 skip (the
 * first failing line's), with its message in msg (may be NULL); -1 when the case cannot be
 * made. data NULL frees the case. */
int bp_conform_fuzz_answer(const char *data, size_t len, char *msg, size_t msglen);

#endif
