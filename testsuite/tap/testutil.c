/* testsuite/tap/testutil.c: shared test support (testutil.h). */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <unistd.h>

#include "activation.h"
#include "tap.h"
#include "train.h"

int tu_run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        tap_bail_out("cannot run '%s'", cmd);
    size_t cap = 4096, len = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    if (!buf)
        tap_bail_out("out of memory reading the output of '%s'", cmd);
    buf[len] = '\0';
    *out = buf;
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char *tu_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        tap_bail_out("%s is not set: run this test through 'make check'", name);
    return v;
}

bp_model *tu_model(const char *sizes, unsigned long seed)
{
    size_t L, n[BP_MAX_LAYERS + 1];
    bp_error err;
    bp_model *m;
    if (bp_sizes_parse(sizes, &L, n, &err) || !(m = bp_model_alloc(L, n, &err)) ||
        bp_model_init_seed(m, seed, &err))
        tap_bail_out("%s", err.msg);
    return m;
}

bp_batch *tu_batch(const bp_model *model, size_t m, unsigned long seed)
{
    bp_error err;
    bp_batch *b = bp_batch_alloc(m, model->n[0], model->n[model->L], &err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!b || !rng)
        tap_bail_out("%s", b ? "cannot allocate a random number generator" : err.msg);
    gsl_rng_set(rng, seed + 1);
    bp_batch_fill(b, rng);
    gsl_rng_free(rng);
    return b;
}

void tu_magnitude(bp_model *g, const bp_model *m, const bp_trace *t, const double *DL)
{
    size_t L = m->L, wmax = 0;
    for (size_t l = 0; l <= L; l++)
        wmax = m->n[l] > wmax ? m->n[l] : wmax;
    double *D = malloc(wmax * sizeof *D), *Dn = malloc(wmax * sizeof *Dn);
    if (!D || !Dn)
        tap_bail_out("out of memory in the magnitude pass");
    bp_model_zero(g);
    for (size_t p = 0; p < t->m; p++) {
        memcpy(D, DL + p * m->n[L], m->n[L] * sizeof *D);
        for (size_t l = L; l >= 1; l--) {
            size_t I = m->n[l], J = m->n[l - 1];
            for (size_t i = 0; i < I; i++) {
                g->b[l][i] += D[i];
                for (size_t j = 0; j < J; j++)
                    g->W[l][i * J + j] += D[i] * fabs(t->a[l - 1][p * J + j]);
            }
            if (l == 1)
                break;
            for (size_t j = 0; j < J; j++) {
                double s = 0.0;
                for (size_t i = 0; i < I; i++)
                    s += fabs(m->W[l][i * J + j]) * D[i];
                Dn[j] = bp_sigmoid_prime(t->z[l - 1][p * J + j]) * s;
            }
            memcpy(D, Dn, J * sizeof *D);
        }
    }
    free(D), free(Dn);
}

double tu_cost_of_theta(const double *theta, void *p)
{
    tu_cost_ctx *c = p;
    bp_model_set(c->work, theta);
    return bp_cost_value(c->model, c->work, c->batch, c->red);
}

const char *tu_temp_file(const char *text)
{
    static char name[64];
    snprintf(name, sizeof name, "/tmp/bpcheck-test-XXXXXX");
    int fd = mkstemp(name);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f)
        tap_bail_out("cannot create a temporary file");
    fputs(text, f);
    fclose(f);
    return name;
}

int tu_sh(char **out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    return tu_run(cmd, out);
}

int tu_summary(const char *out, long *p, long *f, long *s)
{
    const char *line = out, *q;
    while ((q = strstr(line, " passed, ")) != NULL) {
        const char *start = q;
        while (start > out && start[-1] != '\n')
            start--;
        if (sscanf(start, "%ld passed, %ld failed, %ld skipped", p, f, s) == 3)
            line = q + 1;
        else
            break;
    }
    return line != out;
}

/* Is name in the list "[a, b, c]" that starts at s (up to the end of its line)? */
static int in_list(const char *s, const char *name)
{
    size_t n = strlen(name);
    const char *end = strchr(s, '\n');
    for (const char *p = s; (p = strstr(p, name)) != NULL && (!end || p < end); p++)
        if ((p[-1] == '[' || p[-1] == ' ') && (p[n] == ',' || p[n] == ']'))
            return 1;
    return 0;
}

void tu_count_names(const char *out, const char *truth, tu_tally *t)
{
    memset(t, 0, sizeof *t);
    for (const char *p = out; (p = strstr(p, "\nnot ok ")) != NULL; p++) {
        t->failing++;
        const char *end = strstr(p, "\n  ...");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *block = strndup(p, len);
        if (!block)
            tap_bail_out("out of memory");
        const char *nm = strstr(block, "\n  named: ["), *cd = strstr(block, "\n  candidates: [");
        t->localised += strstr(block, "\n  first_wrong: ") != NULL;
        t->hinted += strstr(block, "\n  hint: ") != NULL;
        if (nm) { /* named alone: right when it is the true model and nothing else */
            const char *l = nm + 10, *e = strchr(l, ']');
            int only_truth = *truth && in_list(l, truth) && e && !memchr(l, ',', (size_t)(e - l));
            if (only_truth)
                t->named++;
            else
                t->misleading++;
        } else if (cd) {
            if (*truth && in_list(cd + 15, truth))
                t->ambiguous++;
            else
                t->misleading++;
        }
        free(block);
    }
    const char *lk = strstr(out, "\n#   likely bug: \"");
    if (lk) {
        lk += 18;
        size_t n = strcspn(lk, ":\"");
        snprintf(t->likely, sizeof t->likely, "%.*s", (int)n, lk);
        t->likely_wrong = strcmp(t->likely, truth) != 0;
    }
}
