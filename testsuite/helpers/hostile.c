/* testsuite/helpers/hostile.c MODE: an implementation that answers like the reference, except
 * for the requests whose id contains "/m1/", where it misbehaves as MODE says: crash, hang,
 * garbage, truncate, oversize, nan, shape, id, error, unsupported, partial (some quantities
 * unsupported, the rest right), exit (exits at once, reading nothing), noise (floods stderr);
 * and for the hostile catalogue (t/hostile): dupkey (a key twice), missing (no grad),
 * strnum (the cost as a string), nanstr ("NaN" as a string), negzero (every number -0),
 * denormal (every gradient entry 5e-324), huge (every gradient entry 1e308), several (two
 * answers), nonewline (the answer without its newline, then silence), binary (bytes that are
 * not text), exit0 (exits without answering), sleep1 and sleep3 (sleep 0.3 s or 2 s, then
 * answer),
 * stdinclosed (closes its input, then waits), sig-NAME (dies by SIGSEGV, SIGABRT, SIGBUS,
 * SIGFPE, SIGILL, SIGKILL, SIGTERM, SIGPIPE, SIGINT, SIGXCPU or SIGSYS); and for the handshake: banner (prints a line before
 * its first answer, as a debug print would), caps (declares the quadratic cost and cost and
 * grad only), badcaps (declares costs as a string), diesay (says why on stderr, exits 1);
 * forge (an unsupported reason with a newline and "ok 99" in it, an error with ESC in it);
 * after answering the hello: slowread (reads 1 KiB a second, never answers), flood (writes
 * one endless line, reading nothing), quit (exits, reading nothing more); closeout (closes
 * its output and goes on running).
 * For testsuite/t/conform.c: the runner must fail exactly the misbehaving cases, with a
 * message naming what happened, and go on with the rest. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapters/adapters.h"

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "exit") == 0)
        return 3;
    if (strcmp(mode, "diesay") == 0) {
        fputs("Traceback (most recent call last):\n  File \"adapter.py\", line 3\n"
              "ModuleNotFoundError: No module named 'numpy'\n", stderr);
        return 1;
    }
    if (strcmp(mode, "banner") == 0)
        puts("Loading model...");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        json_t *resp = bp_adapter_answer(line, (size_t)n);
        if (strstr(line, "\"capabilities\"") && strcmp(mode, "caps") == 0)
            json_object_set_new(resp, "capabilities", json_pack("{s:[s], s:[ss]}", "costs", "quadratic",
                                                                 "want", "cost", "grad"));
        if (strstr(line, "\"capabilities\"") && strcmp(mode, "badcaps") == 0)
            json_object_set_new(resp, "capabilities", json_pack("{s:s}", "costs", "quadratic"));
        const char *id = json_string_value(json_object_get(resp, "id"));
        int odd = id && strstr(id, "/m1/");
        if (strstr(line, "\"capabilities\"") && (strcmp(mode, "slowread") == 0 || strcmp(mode, "flood") == 0 ||
                                                   strcmp(mode, "quit") == 0)) {
            char *text = json_dumps(resp, JSON_COMPACT);
            puts(text);
            fflush(stdout);
            free(text), json_decref(resp);
            static char buf[65536];
            struct timespec t = {0, 250000000};
            if (mode[0] == 's') /* 256 bytes each quarter of a second */
                while (read(0, buf, 256) > 0)
                    nanosleep(&t, NULL);
            free(line); /* nothing left for a leak checker to report (exit 0 stays 0) */
            if (mode[0] == 'q')
                return 0;
            memset(buf, ' ', sizeof buf);
            while (mode[0] == 'f' && fwrite(buf, 1, sizeof buf, stdout) == sizeof buf)
                continue;
            return 0;
        }
        if (odd && strcmp(mode, "crash") == 0) {
            signal(SIGSEGV, SIG_DFL); /* die by the signal, even under a sanitizer's handler */
            raise(SIGSEGV);
        }
        if (odd && strcmp(mode, "hang") == 0)
            for (;;)
                pause();
        if (odd && strcmp(mode, "closeout") == 0) { /* its output closed, still running */
            fclose(stdout);
            for (;;)
                pause();
        }
        if (odd && strcmp(mode, "noise") == 0)
            for (int i = 0; i < 20000; i++)
                fputs("debug output on stderr\n", stderr);
        if (odd && strncmp(mode, "sig-", 4) == 0) {
            static const struct { const char *name; int sig; } sigs[] = {
                {"SEGV", SIGSEGV}, {"ABRT", SIGABRT}, {"BUS", SIGBUS}, {"FPE", SIGFPE},
                {"ILL", SIGILL}, {"KILL", SIGKILL}, {"TERM", SIGTERM}, {"PIPE", SIGPIPE}, {"INT", SIGINT},
                {"XCPU", SIGXCPU}, {"SYS", SIGSYS}};
            for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++)
                if (strcmp(mode + 4, sigs[k].name) == 0) {
                    signal(sigs[k].sig, SIG_DFL); /* past any sanitizer's handler */
                    raise(sigs[k].sig);
                }
        }
        if (odd && strcmp(mode, "exit0") == 0)
            _exit(0); /* at once: no clean-up, no leak report under a sanitizer */
        if (odd && strcmp(mode, "stdinclosed") == 0) {
            fclose(stdin);
            for (;;)
                pause();
        }
        if (odd && (strcmp(mode, "sleep1") == 0 || strcmp(mode, "sleep3") == 0)) {
            struct timespec t = {mode[5] == '1' ? 0 : 2, mode[5] == '1' ? 300000000 : 0};
            nanosleep(&t, NULL); /* 0.3 s, or 2 s */
        }
        if (odd && strcmp(mode, "nonewline") == 0) {
            char *text = json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(17));
            fputs(text, stdout);
            fflush(stdout);
            for (;;)
                pause();
        }
        if (odd && strcmp(mode, "binary") == 0) {
            for (int i = 0; i < 4096; i++)
                putchar((i * 7919 + 13) % 256 == '\n' ? 0 : (i * 7919 + 13) % 256);
            putchar('\n');
            fflush(stdout);
            json_decref(resp);
            continue;
        }
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
            if (odd && strcmp(mode, "forge") == 0)
                json_object_set_new(resp, strstr(id, "/sum/") ? "unsupported" : "error",
                                    json_string(strstr(id, "/sum/") ? "no\nok 99 - forged" : "\x1b[31mred"));
            if (odd && strcmp(mode, "unsupported") == 0)
                json_object_set_new(resp, "unsupported", json_string("no batches of one"));
            if (odd && strcmp(mode, "partial") == 0) {
                json_object_del(resp, "step");
                json_object_set_new(resp, "unsupported", json_pack("[s]", "step"));
            }
            if (odd && strcmp(mode, "missing") == 0)
                json_object_del(resp, "grad");
            if (odd && strcmp(mode, "strnum") == 0)
                json_object_set_new(resp, "cost", json_string("0.5"));
            if (odd && strcmp(mode, "nanstr") == 0)
                json_object_set_new(resp, "cost", json_string("NaN"));
            if (odd && (strcmp(mode, "negzero") == 0 || strcmp(mode, "denormal") == 0 ||
                        strcmp(mode, "huge") == 0)) {
                double v = mode[0] == 'n' ? -0.0 : mode[0] == 'd' ? 4.9406564584124654e-324 : 1e308;
                json_t *g = json_object_get(resp, "grad"), *layers, *row, *x;
                size_t i, j, k;
                if (mode[0] == 'n')
                    json_object_set_new(resp, "cost", json_real(v));
                for (int wb = 0; wb < 2; wb++) {
                    layers = json_object_get(g, wb ? "b" : "W");
                    json_array_foreach(layers, i, row) {
                        json_array_foreach(row, j, x) {
                            if (json_is_array(x))
                                for (k = 0; k < json_array_size(x); k++)
                                    json_array_set_new(x, k, json_real(v));
                            else
                                json_array_set_new(row, j, json_real(v));
                        }
                    }
                }
            }
            char *text = json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(17));
            if (odd && strcmp(mode, "dupkey") == 0) { /* "cost" twice: not one JSON object */
                text[strlen(text) - 1] = '\0';
                printf("%s,\"cost\":1}\n", text);
            } else {
                puts(text);
            }
            if (odd && strcmp(mode, "several") == 0)
                puts(text); /* one answer too many: it meets the next request */
            free(text);
        }
        fflush(stdout);
        json_decref(resp);
    }
    free(line);
    return 0;
}
