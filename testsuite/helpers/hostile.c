/* testsuite/helpers/hostile.c MODE: an implementation that answers like the reference, except
 * for the requests whose id contains "/m1/", where it misbehaves as MODE says: crash, hang,
 * garbage, truncate, oversize, nan, shape, id, error, unsupported, partial (some quantities
 * unsupported, the rest right), exit (exits at once, reading nothing), noise (floods stderr).
 * For testsuite/t/conform.c: the runner must fail exactly the misbehaving cases, with a
 * message naming what happened, and go on with the rest. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/adapters.h"

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "exit") == 0)
        return 3;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        json_t *resp = bp_adapter_answer(line, (size_t)n);
        const char *id = json_string_value(json_object_get(resp, "id"));
        int odd = id && strstr(id, "/m1/");
        if (odd && strcmp(mode, "crash") == 0) {
            signal(SIGSEGV, SIG_DFL); /* die by the signal, even under a sanitizer's handler */
            raise(SIGSEGV);
        }
        if (odd && strcmp(mode, "hang") == 0)
            for (;;)
                pause();
        if (odd && strcmp(mode, "noise") == 0)
            for (int i = 0; i < 20000; i++)
                fputs("debug output on stderr\n", stderr);
        if (odd && strcmp(mode, "garbage") == 0) {
            puts("hello, world");
        } else if (odd && strcmp(mode, "truncate") == 0) {
            fputs("{\"id\": \"", stdout);
            fflush(stdout);
            return 0;
        } else if (odd && strcmp(mode, "oversize") == 0) {
            for (int i = 0; i < 3 << 20; i++)
                putchar(' ');
            fflush(stdout);
            for (;;)
                pause();
        } else if (odd && strcmp(mode, "nan") == 0) {
            printf("{\"id\": \"%s\", \"cost\": NaN, \"grad\": {}, \"step\": {}}\n", id);
        } else {
            if (odd && strcmp(mode, "shape") == 0)
                json_array_remove(json_array_get(json_object_get(json_object_get(resp, "grad"), "W"), 0), 0);
            if (odd && strcmp(mode, "id") == 0)
                json_object_set_new(resp, "id", json_string("someone-else"));
            if (odd && strcmp(mode, "error") == 0)
                json_object_set_new(resp, "error", json_string("out of GPU memory"));
            if (odd && strcmp(mode, "unsupported") == 0)
                json_object_set_new(resp, "unsupported", json_string("no batches of one"));
            if (odd && strcmp(mode, "partial") == 0) {
                json_object_del(resp, "step");
                json_object_set_new(resp, "unsupported", json_pack("[s]", "step"));
            }
            char *text = json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(17));
            puts(text);
            free(text);
        }
        fflush(stdout);
        json_decref(resp);
    }
    free(line);
    return 0;
}
