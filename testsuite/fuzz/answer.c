/* testsuite/fuzz/answer.c: libFuzzer target for the runner's reading of an answer: any bytes
 * as an implementation's answer line to a small fixed case, judged as `bpcheck conform`
 * judges one (parsing, shapes, comparison, diagnosis, hints). */
#include <stddef.h>
#include <stdint.h>

#include "conform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bp_conform_fuzz_answer((const char *)data, size, NULL, 0);
    return 0;
}
