/* testsuite/fuzz/csv.c: libFuzzer target for the CSV loader of `bpcheck train`: any bytes as a
 * data file of 2 features and 3 classes (or targets), with and without --header (the first
 * byte chooses). */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)(data + 1), size - 1, "r");
    if (!f)
        return 0;
    bp_error err;
    bp_batch *b = bp_data_read_csv_header(f, "fuzz.csv", 2, 3, data[0] & 1, &err);
    bp_batch_free(b);
    fclose(f);
    return 0;
}
