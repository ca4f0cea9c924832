/* testsuite/helpers/framed.c MODE: an implementation that takes binary frames (PROTOCOL.md) and
 * answers like the reference, except for the requests whose id contains "/m1/", where its
 * framed answer is hostile as MODE says: length (a payload size that does not match the
 * shapes), arrays (a name listed twice), type (the wrong element type), cut (half the payload,
 * then exit), stall (half the payload, then silence), nan (a NaN in the payload), unasked (it
 * declines frames, then sends a payload anyway). For testsuite/t/conform.c: each such case
 * fails with a message naming what is wrong, and the rest of the run goes on. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/adapters.h"

/* replace the first `from` in s (len bytes) by `to` (same length or shorter header text) */
static void patch(char *s, const char *from, const char *to)
{
    char *at = strstr(s, from);
    if (at) {
        size_t a = strlen(from), b = strlen(to);
        memmove(at + b, at + a, strlen(at + a) + 1);
        memcpy(at, to, b);
    }
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        json_t *req = json_loadb(line, (size_t)n, 0, NULL);
        const char *id = json_string_value(json_object_get(req, "id"));
        int odd = id && strstr(id, "/m1/");
        if (!json_object_get(req, "payload")) { /* JSON: the hello, or a /1 session */
            json_t *resp = bp_adapter_answer(line, (size_t)n);
            if (json_is_array(json_object_get(req, "frames")) && strcmp(mode, "unasked") != 0)
                json_object_set_new(resp, "frames", json_string("f64"));
            char *text = json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(17));
            if (odd && strcmp(mode, "unasked") == 0) { /* a payload nobody agreed to */
                text[strlen(text) - 1] = '\0';
                printf("%s,\"payload\":16}\n", text);
                fwrite("0123456789abcdef", 1, 16, stdout);
            } else {
                puts(text);
            }
            fflush(stdout);
            free(text);
            json_decref(resp), json_decref(req);
            continue;
        }
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        json_t *err = bp_adapter_framed_answer(req, stdin, mem, bp_adapter_reference_fn, NULL);
        fclose(mem);
        if (err) { /* print the error line as the reference would */
            char *text = json_dumps(err, JSON_COMPACT);
            puts(text);
            free(text);
            json_decref(err);
        } else if (!odd) {
            fwrite(buf, 1, len, stdout);
        } else {
            char *nl = memchr(buf, '\n', len);
            size_t hl = (size_t)(nl - buf) + 1, pl = len - hl;
            char *head = calloc(hl + 64, 1);
            memcpy(head, buf, hl);
            unsigned char *payload = (unsigned char *)buf + hl;
            if (strcmp(mode, "length") == 0) {
                char from[64], to[64];
                snprintf(from, sizeof from, "\"payload\":%zu", pl);
                snprintf(to, sizeof to, "\"payload\":%zu", pl + 8);
                patch(head, from, to);
            }
            if (strcmp(mode, "arrays") == 0)
                patch(head, "\"arrays\":[\"grad\",\"step\"]", "\"arrays\":[\"grad\",\"grad\"]");
            if (strcmp(mode, "type") == 0)
                patch(head, "\"frames\":\"f64\"", "\"frames\":\"f32\"");
            if (strcmp(mode, "nan") == 0)
                memcpy(payload, "\0\0\0\0\0\0\xf8\x7f", 8); /* a quiet NaN, little-endian */
            fputs(head, stdout);
            if (strcmp(mode, "cut") == 0 || strcmp(mode, "stall") == 0) {
                fwrite(payload, 1, pl / 2, stdout);
                fflush(stdout);
                if (strcmp(mode, "cut") == 0)
                    _exit(0); /* at once, mid-payload */
                for (;;)
                    pause();
            }
            fwrite(payload, 1, pl, stdout);
            free(head);
        }
        fflush(stdout);
        free(buf);
        json_decref(req);
    }
    free(line);
    return 0;
}
