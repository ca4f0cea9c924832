/* testsuite/fuzz/fixture.c: libFuzzer target for the fixture reader (bp_fixture_parse): any
 * bytes as a fixture's JSON. A valid fixture or a refusal with a message; never a crash, a
 * leak or undefined behaviour (make fuzz builds it with ASan and UBSan). */
#include <stddef.h>
#include <stdint.h>

#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bp_error err;
    bp_fixture *f = bp_fixture_parse((const char *)data, size, "fuzz.json", &err);
    bp_fixture_free(f);
    return 0;
}
