/* testsuite/bench.c: `make bench`: gradient and forward times of the literal and vectorized
 * references, measured in one process run, as a table of medians and ratios. Nothing here
 * asserts on time; the ratios are what to read (they travel between machines better than
 * microseconds).
 *
 * For each model on 784-100-10 and 784-30-10, per sample (m = 1) and per batch of 32:
 *   literal and vectorized gradient time per sample, the speed-up of vectorized over literal,
 *   and gradient time / forward time (the cheap-gradient principle: a correct reverse pass
 *   costs a small constant times the forward pass, about 2-3 for an MLP).
 * Every time is the median of REPEATS runs, each run repeating the call until it has taken
 * at least MIN_RUN seconds.
 *
 * Then the oracles: a full per-parameter check of 784-30-10 and 784-100-10 (one sample,
 * cross-entropy) by the complex step, dual numbers and central differences, each evaluation
 * recomputing from the perturbed layer up and incrementally (oracle_template.h), and for
 * 784-30-10 the whole forward pass, with the time as a multiple of one backprop pass.
 *
 * Last, `bpcheck fixtures`: one exact case at 784-n-10 (n from 12 to 100), 2048-512-10 and
 * 4096-1024-10, batch 32: the exact values by the fast path beside MPFR alone, the whole
 * generation (the time per parameter stays flat where the cost is linear), and the whole
 * command's time and peak memory beside the case's arrays. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_version.h>

#include "fixture.h"
#include "generate.h"
#include "model.h"
#include "adapters/adapters.h"
#include "exact.h"
#include "mpref.h"
#include "oracle.h"
#include "testutil.h"
#include "train.h"
#include "vectorized.h"

#define REPEATS 9
#define MIN_RUN 0.02

typedef enum { LIT_GRAD, LIT_FWD, VEC_GRAD, VEC_FWD } op;

typedef struct {
    op what;
    bp_cost model;
    const bp_model *params;
    bp_model *grad;
    const bp_batch *batch;
} job;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static volatile double sink; /* keeps the compiler from dropping a cost nobody reads */

static void run(const job *j)
{
    bp_error err;
    int rc = 0;
    switch (j->what) {
    case LIT_GRAD:
        rc = bp_gradient(j->model, j->grad, NULL, NULL, j->params, j->batch, BP_MEAN, &err);
        break;
    case LIT_FWD:
        sink = bp_cost_value(j->model, j->params, j->batch, BP_MEAN);
        break;
    case VEC_GRAD:
        rc = j->batch->m == 1
                 ? vec_gradient_per_sample(j->model, j->grad, NULL, j->params, j->batch, BP_MEAN,
                                           &err)
                 : vec_gradient(j->model, j->grad, NULL, NULL, j->params, j->batch, BP_MEAN, &err);
        break;
    case VEC_FWD:
        sink = vec_cost(j->model, j->params, j->batch, BP_MEAN);
        break;
    }
    if (rc) {
        fprintf(stderr, "bench: %s\n", err.msg);
        exit(1);
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median seconds per call. */
static double measure(const job *j)
{
    size_t reps = 1;
    for (;;) { /* calibrate: enough calls for MIN_RUN seconds */
        double t0 = now();
        for (size_t r = 0; r < reps; r++)
            run(j);
        if (now() - t0 >= MIN_RUN)
            break;
        reps *= 2;
    }
    double t[REPEATS];
    for (int k = 0; k < REPEATS; k++) {
        double t0 = now();
        for (size_t r = 0; r < reps; r++)
            run(j);
        t[k] = (now() - t0) / (double)reps;
    }
    qsort(t, REPEATS, sizeof *t, cmp);
    return t[REPEATS / 2];
}

#ifndef BPCHECK_BLAS
#define BPCHECK_BLAS "gslcblas"
#endif

/* ---- conformance at scale: the targets of issue 18 ---------------------------------------- */

/* Run argv, its stdout discarded or (out) kept, under BPCHECK_PEAK_MEMORY: the wall time and,
 * when kib is not NULL, the peak memory the command reports of itself on stderr (a child of
 * its own, the implementation under conform, is not counted). -1, stderr shown, on failure.
 * posix_spawn, not fork: glibc's shares the parent's memory until the exec (CLONE_VFORK), so
 * the time is the command's own and not that of copying this process's page tables. */
static double timed_run(char *const argv[], char *out, size_t outlen, long *kib)
{
    extern char **environ;
    int fds[2], ofd[2];
    if (pipe(fds) || pipe(ofd))
        return -1;
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    char **env = malloc((nenv + 2) * sizeof *env);
    posix_spawn_file_actions_t fa;
    if (!env || posix_spawn_file_actions_init(&fa)) {
        free(env);
        close(fds[0]), close(fds[1]), close(ofd[0]), close(ofd[1]);
        return -1;
    }
    size_t e = 0;
    env[e++] = "BPCHECK_PEAK_MEMORY=1";
    for (size_t i = 0; i < nenv; i++)
        if (strncmp(environ[i], "BPCHECK_PEAK_MEMORY=", 20) != 0)
            env[e++] = environ[i];
    env[e] = NULL;
    if (out)
        posix_spawn_file_actions_adddup2(&fa, ofd[1], 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]), posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addclose(&fa, ofd[0]), posix_spawn_file_actions_addclose(&fa, ofd[1]);
    pid_t pid;
    double t0 = now();
    int spawned = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    if (spawned) {
        close(fds[0]), close(fds[1]), close(ofd[0]), close(ofd[1]);
        fprintf(stderr, "bench: cannot run %s: %s\n", argv[0], strerror(spawned));
        return -1;
    }
    close(fds[1]), close(ofd[1]);
    char err[4096] = "";
    size_t len = 0, olen = 0;
    ssize_t r;
    while (len + 1 < sizeof err && (r = read(fds[0], err + len, sizeof err - 1 - len)) > 0)
        len += (size_t)r;
    err[len] = '\0';
    while (out && olen + 1 < outlen && (r = read(ofd[0], out + olen, outlen - 1 - olen)) > 0)
        olen += (size_t)r;
    if (out)
        out[olen] = '\0';
    close(fds[0]), close(ofd[0]);
    int status;
    waitpid(pid, &status, 0);
    double t = now() - t0;
    const char *pk = strstr(err, "peak memory ");
    if (kib)
        *kib = pk ? atol(pk + 12) : -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || (kib && *kib < 0)) {
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 3)) /* 3: a tool that is not there */
            fprintf(stderr, "bench: %s %s failed:\n%s", argv[0], argv[1], err);
        return -1;
    }
    return t;
}

/* `bpcheck conform --fixtures json [--frames off]`: timed_run's time and peak memory */
static double conform_run(const char *bpcheck, const char *json, int frames, long *kib)
{
    char *argv[] = {(char *)bpcheck, "conform", "--fixtures", (char *)json, "--frames",
                    frames ? "auto" : "off", NULL};
    return timed_run(argv, NULL, 0, kib);
}

static int bench_scale(const char *bpcheck)
{
    /* 1,1 first: its run is the fixed cost of a run (two processes started, the offer of
     * frames, the fixture opened), set apart in the 'per case' column */
    static const char *const archs[] = {"1,1", "784,100,10", "2048,512,10", "4096,1024,10"};
    double fixed = 0.0;
    long fixed_kib = 0;
    printf("\nconformance at scale: one quadratic case at batch 32, a binary fixture (generated once\n"
           "into build/bench-cases/), the bundled reference as the implementation ('bpcheck serve').\n"
           "compute: what 'bpcheck serve' computes for the case, in-process (median of 3): its\n"
           "gradient and trace, and document 002's own update for the step (quad_sgd_update, a\n"
           "second backprop: bp_adapter_reference_fn); conform: the whole 'bpcheck conform' run,\n"
           "wall (median of 3); overhead = (conform - compute) / compute,\n"
           "target <= 2; peak: the runner's own memory; x raw: that peak above the 1-1 run's (the\n"
           "program itself) against the case's raw float64 data (parameters, batch, expected\n"
           "values), target about 2x: the answer's gradient and step are judged against the\n"
           "expected ones and their bounds, 6 arrays of the parameters' size against the raw 3,\n"
           "so 2x is the floor (met: within 5%% of it); 4096-1024-10 end to end <= 3 s.\n"
           "per case: the overhead without the fixed cost of a run (the 1-1 network's conform)\n"
           "JSON lines: the same conform with the arrays as JSON text, not binary frames; timed at\n"
           "784-100-10 only (-: not timed), where text is still affordable\n\n");
    printf("%-13s %9s %10s %10s %9s %9s %10s %8s %10s  %s\n", "arch", "params", "compute", "conform",
           "overhead", "per case", "peak", "x raw", "JSON lines", "targets");
    mkdir("build", 0777);
    mkdir("build/bench-cases", 0777);
    for (size_t a = 0; a < sizeof archs / sizeof *archs; a++) {
        char json[256], bin[256], name[64];
        snprintf(name, sizeof name, "%s", archs[a]);
        for (char *p = name; *p; p++)
            *p = *p == ',' ? '-' : *p;
        snprintf(json, sizeof json, "build/bench-cases/quadratic-%s-m32.json", name);
        snprintf(bin, sizeof bin, "build/bench-cases/quadratic-%s-m32.bin", name);
        bp_error err;
        if (access(json, R_OK) || access(bin, R_OK)) {
            bp_gen_spec sp;
            memset(&sp, 0, sizeof sp);
            sp.cost = BP_QUADRATIC, sp.red = BP_MEAN, sp.m = 32, sp.regime = BP_R_TYPICAL;
            sp.slope = BP_LEAKY_SLOPE, sp.eta = 0.5;
            bp_case c;
            double t0 = now();
            fprintf(stderr, "bench: generating %s once (MPFR; about 30 us a parameter)\n", json);
            if (bp_sizes_parse(archs[a], &sp.L, sp.n, &err) || bp_gen_case(&sp, &c, &err) ||
                bp_gen_write(json, bin, &c, 1, &err)) {
                fprintf(stderr, "bench: %s\n", err.msg);
                return 1;
            }
            fprintf(stderr, "bench: %s: %.0f s\n", json, now() - t0);
            bp_case_clear(&c);
        }
        bp_fixture *f = bp_fixture_load(json, &err);
        if (!f) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        const bp_case *c = &f->cases[0];
        bp_model *g = bp_model_alloc_like(c->params, &err), *st = bp_model_alloc_like(c->params, &err);
        bp_trace *tr = bp_trace_alloc(c->params, c->batch->m, &err);
        double tc[3], tf[3], cost;
        long kib = -1;
        for (int r = 0; r < 3; r++) {
            double t0 = now();
            if (bp_adapter_reference_fn(c, &cost, g, st, tr, NULL, &err)) {
                fprintf(stderr, "bench: %s: %s\n", json, err.msg);
                return 1;
            }
            tc[r] = now() - t0;
            tf[r] = conform_run(bpcheck, json, 1, &kib);
            if (tf[r] < 0)
                return 1;
        }
        qsort(tc, 3, sizeof *tc, cmp), qsort(tf, 3, sizeof *tf, cmp);
        long k2;
        double tj = a == 1 ? conform_run(bpcheck, json, 0, &k2) : NAN; /* JSON lines: 784-100-10 only */
        size_t m = c->batch->m, sum = 0;
        for (size_t l = 1; l <= c->params->L; l++)
            sum += c->params->n[l];
        double raw = 8.0 * (double)(3 * c->params->nparams + m * (c->params->n[0] + c->params->n[c->params->L]) + 3 * m * sum);
        double over = (tf[1] - tc[1]) / tc[1], per = (tf[1] - fixed - tc[1]) / tc[1];
        double x = 1024.0 * (double)(kib - fixed_kib) / raw; /* above the 1-1 run's peak */
        int big = a == 3;
        if (a == 0) {
            fixed = tf[1], fixed_kib = kib;
            printf("%-13s %9zu %8.3g s %8.3g s %29.0f MB  (the fixed cost of a run)\n", name,
                   c->params->nparams, tc[1], tf[1], (double)kib / 1024.0);
        } else {
            char lines[32] = "         -"; /* measured at 784-100-10 only (the header says so) */
            if (!isnan(tj))
                snprintf(lines, sizeof lines, "%8.3g s", tj);
            printf("%-13s %9zu %8.3g s %8.3g s %8.2fx %8.2fx %7.0f MB %7.2fx %s  %s%s%s\n", name,
                   c->params->nparams, tc[1], tf[1], over, per, (double)kib / 1024.0, x, lines,
                   over <= 2 ? "overhead met" : per <= 2 ? "overhead met per case" : "overhead MISSED",
                   big ? (tf[1] <= 3 ? ", 3 s met" : ", 3 s MISSED") : "",
                   x <= 2.05 ? ", memory met" : ", memory MISSED"); /* about 2x: the header's floor */
        }
        fflush(stdout);
        bp_model_free(g), bp_model_free(st), bp_trace_free(tr);
        bp_fixture_free(f);
    }
    return 0;
}

/* ---- many cases: the runner's memory per case (issue 27) ------------------------------------ */

/* n copies of one 1-1 case (batch 1), each of its own id, as the fixture at path: written as
 * text, case by case (a writer's whole tree of 1e5 cases would itself take 2 GB). */
static int write_many(const char *path, const bp_case *c, size_t n)
{
    char onepath[300];
    bp_error err;
    snprintf(onepath, sizeof onepath, "%s.one", path);
    json_t *root = bp_gen_write(onepath, NULL, c, 1, &err) ? NULL : json_load_file(onepath, 0, NULL);
    json_t *one = json_incref(json_array_get(json_object_get(root, "cases"), 0));
    json_decref(root);
    unlink(onepath);
    FILE *f = one ? fopen(path, "w") : NULL;
    if (!f || !one) {
        json_decref(one);
        return -1;
    }
    fprintf(f, "{\"format\": \"%s\", \"generator\": \"bpcheck bench: one case, copied\", \"notes\": {},\n"
               "\"cases\": [\n", BP_FIXTURE_FORMAT);
    for (size_t i = 0; i < n; i++) {
        char id[128];
        snprintf(id, sizeof id, "%s/copy-%zu", c->id, i);
        json_object_set_new(one, "id", json_string(id));
        char *text = json_dumps(one, JSON_COMPACT | JSON_REAL_PRECISION(17));
        fprintf(f, "%s%s\n", text ? text : "null", i + 1 < n ? "," : "");
        free(text);
    }
    fprintf(f, "]}\n");
    json_decref(one);
    return fclose(f) == 0 ? 0 : -1;
}

static int bench_many(const char *bpcheck)
{
    static const size_t counts[] = {10000, 100000};
    printf("\nmany small cases: n copies of one quadratic 1-1 case at batch 1 (generated once into\n"
           "build/bench-cases/), the bundled reference as the implementation. peak: the runner's own;\n"
           "text: the fixture's JSON a case; growth: the peak's rise a case from 1e4 to 1e5 cases\n"
           "beyond that text. Targets: 1e5 cases in at most 500 MB, growth at most 2 KB a case.\n\n");
    printf("%8s %10s %10s %9s %10s  %s\n", "cases", "conform", "peak", "text", "growth", "targets");
    bp_gen_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.cost = BP_QUADRATIC, sp.red = BP_MEAN, sp.m = 1, sp.regime = BP_R_TYPICAL;
    sp.slope = BP_LEAKY_SLOPE, sp.eta = 0.5;
    bp_case c;
    bp_error err;
    if (bp_sizes_parse("1,1", &sp.L, sp.n, &err) || bp_gen_case(&sp, &c, &err)) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    long kib[2];
    double text[2];
    for (size_t k = 0; k < 2; k++) {
        char json[256];
        struct stat st;
        snprintf(json, sizeof json, "build/bench-cases/many-%zu.json", counts[k]);
        if ((access(json, R_OK) && write_many(json, &c, counts[k])) || stat(json, &st)) {
            fprintf(stderr, "bench: cannot write %s\n", json);
            bp_case_clear(&c);
            return 1;
        }
        double t = conform_run(bpcheck, json, 1, &kib[k]);
        if (t < 0) {
            bp_case_clear(&c);
            return 1;
        }
        text[k] = (double)st.st_size / (double)counts[k];
        double growth = k ? (1024.0 * (double)(kib[1] - kib[0]) / (double)(counts[1] - counts[0]) - text[1]) / 1024.0 : NAN;
        if (k == 0)
            printf("%8zu %8.3g s %7.0f MB %6.2f KB\n", counts[k], t, (double)kib[k] / 1024.0, text[k] / 1024.0);
        else
            printf("%8zu %8.3g s %7.0f MB %6.2f KB %7.2f KB  %s, %s\n", counts[k], t, (double)kib[k] / 1024.0,
                   text[k] / 1024.0, growth, kib[k] <= 500 * 1024 ? "500 MB met" : "500 MB MISSED",
                   growth <= 2 ? "2 KB met" : "2 KB MISSED");
        fflush(stdout);
    }
    bp_case_clear(&c);
    return 0;
}

/* ---- the core's double-precision FMA peak, measured ---- */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* n rounds of 12 independent fused multiply-adds a vector wide: enough chains in flight to
 * cover the FMA latency on two ports (4 cycles x 2 ports = 8, and 12 for the cores whose
 * latency is 5 or 6), each in a register of its own (an array would live in memory). Their
 * sum goes to the volatile sink, so that nothing is optimised away. */
#define PEAK_STEP(x) x = FMA(x, a, b)
#define PEAK_KERNEL(T, SET1, FMA, ADD, STORE, LANES)                                              \
    T a = SET1(1.0 + 0x1p-30), b = SET1(0x1p-20), c0 = SET1(0), c1 = SET1(1), c2 = SET1(2),        \
      c3 = SET1(3), c4 = SET1(4), c5 = SET1(5), c6 = SET1(6), c7 = SET1(7), c8 = SET1(8),          \
      c9 = SET1(9), c10 = SET1(10), c11 = SET1(11);                                               \
    for (long r = 0; r < n; r++) {                                                                \
        PEAK_STEP(c0), PEAK_STEP(c1), PEAK_STEP(c2), PEAK_STEP(c3), PEAK_STEP(c4), PEAK_STEP(c5);  \
        PEAK_STEP(c6), PEAK_STEP(c7), PEAK_STEP(c8), PEAK_STEP(c9), PEAK_STEP(c10), PEAK_STEP(c11); \
    }                                                                                             \
    T sum = ADD(ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7))),                 \
                ADD(ADD(c8, c9), ADD(c10, c11)));                                                 \
    double out[LANES], s = 0.0;                                                                   \
    STORE(out, sum);                                                                              \
    for (int k = 0; k < LANES; k++)                                                               \
        s += out[k];                                                                              \
    sink = s; /* a side effect: a pure function's repeated calls could be merged into one */      \
    return s;

__attribute__((target("avx512f"))) static double peak_avx512(long n)
{
#define FMA _mm512_fmadd_pd
    PEAK_KERNEL(__m512d, _mm512_set1_pd, FMA, _mm512_add_pd, _mm512_storeu_pd, 8)
#undef FMA
}

__attribute__((target("avx2,fma"))) static double peak_avx2(long n)
{
#define FMA _mm256_fmadd_pd
    PEAK_KERNEL(__m256d, _mm256_set1_pd, FMA, _mm256_add_pd, _mm256_storeu_pd, 4)
#undef FMA
}
#endif

/* The core's peak in double-precision flops per second (2 per fused multiply-add), by the
 * widest FMA this CPU runs (AVX-512, else AVX2), the median of 3 runs of about 0.2 s; NAN on a
 * CPU with neither (or not x86-64), with its name in *isa. */
static double fma_peak(const char **isa)
{
    *isa = "none";
#if defined(__x86_64__) && defined(__GNUC__)
    int wide = __builtin_cpu_supports("avx512f");
    if (!wide && !__builtin_cpu_supports("fma"))
        return NAN;
    *isa = wide ? "AVX-512" : "AVX2";
    double lanes = wide ? 8.0 : 4.0, t[3], sum = 0.0;
    long n = 1000;
    for (;;) { /* calibrate */
        double t0 = now();
        sum += wide ? peak_avx512(n) : peak_avx2(n);
        if (now() - t0 >= 0.2)
            break;
        n *= 2;
    }
    for (int k = 0; k < 3; k++) {
        double t0 = now();
        sum += wide ? peak_avx512(n) : peak_avx2(n);
        t[k] = now() - t0;
    }
    qsort(t, 3, sizeof *t, cmp);
    sink = sum;
    return 2.0 * lanes * 12.0 * (double)n / t[1];
#else
    return NAN;
#endif
}

/* Flops of one backprop sample of params (2 per multiply-add): W a forward, W^T delta above
 * the first layer, delta a^T for the gradient. */
static double backprop_flops(const bp_model *m)
{
    double f = 0.0;
    for (size_t l = 1; l <= m->L; l++) {
        double w = (double)m->n[l] * (double)m->n[l - 1];
        f += 2.0 * w * (l > 1 ? 3.0 : 2.0);
    }
    return f;
}

/* `bpcheck fixtures --binary yes` on one case: timed_run's time and peak memory, and the size
 * of the case's arrays (the .bin companion, bytes) */
static double fixtures_run(const char *bpcheck, const char *sizes, long *kib, long *raw)
{
    char path[] = "/tmp/bpcheck-bench-XXXXXX", bin[64];
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    snprintf(bin, sizeof bin, "%s.bin", path);
    char *argv[] = {(char *)bpcheck, "fixtures", "--model", "cross-entropy", "--sizes",
                    (char *)sizes, "--activations", "relu,softmax", "--binary", "yes", "-o", path,
                    NULL};
    double t = timed_run(argv, NULL, 0, kib);
    struct stat st;
    *raw = stat(bin, &st) == 0 ? (long)st.st_size : -1;
    unlink(path), unlink(bin);
    return t;
}

/* The oracles: a full per-parameter check, by each method and each way of reusing the cached
 * forward pass, as a multiple of one backprop pass of the same case. */
static int bench_oracles(void)
{
    printf("\nper-parameter gradient check, m = 1, cross-entropy: seconds, and the multiple of one\n"
           "backprop pass (literal reference): the passes per check. 'from layer l' recomputes\n"
           "every layer above the perturbed one (the method before incremental updates);\n"
           "'incremental' updates z^{l+1} by one column of W^{l+1}; 'vector' (dual numbers) does\n"
           "so for up to %d parameters of a neuron at once, one per lane (AVX2 where the CPU\n"
           "has it); 'whole' reruns the whole forward pass (784-30-10 only). The target: 15\n"
           "passes\n\n", OR_VLANES);
    printf("%-11s %-10s %11s %10s %12s %12s %10s %9s %8s\n", "arch", "method", "evaluations",
           "whole", "from layer l", "incremental", "vector", "speed-up", "passes");
    for (size_t a = 0; a < 2; a++) {
        bp_error err;
        const char *arch = a ? "784,100,10" : "784,30,10";
        bp_model *params = tu_model(arch, 2), *grad = bp_model_alloc_like(params, &err);
        bp_batch *b = tu_batch(params, 1, 2);
        for (size_t j = 0; j < 10; j++)
            b->y[j] = j == 3;
        size_t P = params->nparams;
        double *g = malloc(P * sizeof *g), *est = malloc(P * sizeof *est);
        job bp = {LIT_GRAD, BP_CROSS_ENTROPY, params, grad, b};
        double one_pass = measure(&bp);
        char name[32];
        bp_sizes_format(params, name, sizeof name);
        const or_method methods[] = {OR_COMPLEX, OR_DUAL, OR_CENTRAL};
        for (size_t k = 0; k < 3; k++) {
            double t[4] = {NAN, NAN, NAN, NAN};
            size_t evals = 0;
            for (int mode = a ? OR_REUSE_LAYER : OR_WHOLE; mode <= OR_VECTOR; mode++) {
                if ((mode == OR_WHOLE && methods[k] != OR_COMPLEX) ||
                    (mode == OR_VECTOR && methods[k] != OR_DUAL))
                    continue; /* the whole pass once is enough to show its cost */
                double runs[7]; /* the median of 7 full checks (one for the whole pass) */
                int nrun = mode == OR_WHOLE ? 1 : 7;
                for (int r = 0; r < nrun; r++) {
                    double t0 = now();
                    if (or_gradient(methods[k], g, est, &evals, BP_CROSS_ENTROPY, params, b,
                                    BP_SUM, mode, &err)) {
                        fprintf(stderr, "bench: %s\n", err.msg);
                        return 1;
                    }
                    runs[r] = now() - t0;
                }
                qsort(runs, (size_t)nrun, sizeof *runs, cmp);
                t[mode] = runs[nrun / 2];
            }
            char whole[32] = "-", vec[32] = "-";
            if (!isnan(t[OR_WHOLE]))
                snprintf(whole, sizeof whole, "%.3g s", t[OR_WHOLE]);
            if (!isnan(t[OR_VECTOR]))
                snprintf(vec, sizeof vec, "%.3g s", t[OR_VECTOR]);
            double best = isnan(t[OR_VECTOR]) ? t[OR_INCREMENTAL] : t[OR_VECTOR];
            printf("%-11s %-10s %11zu %10s %10.3g s %10.3g s %10s %8.1fx %8.1f\n", name,
                   or_method_name(methods[k]), evals, whole, t[OR_REUSE_LAYER],
                   t[OR_INCREMENTAL], vec, t[OR_REUSE_LAYER] / best, best / one_pass);
            fflush(stdout);
        }
        free(g), free(est);
        bp_batch_free(b), bp_model_free(params), bp_model_free(grad);
    }
    return 0;
}

/* The full check of 784-30-10 as a whole process: bpcheck gradcheck by vector-mode dual numbers
 * (the median of WHOLE_RUNS), bpcheck's own start (--version), a process that does nothing
 * (/bin/true: what this machine's exec and exit cost) and torch.autograd.gradcheck's slow
 * mode on the same network (testsuite/bench_gradcheck_torch.py, one run), if torch is there. */
#define WHOLE_RUNS 51

static void bench_whole_check(const char *bpcheck)
{
    char *check[] = {(char *)bpcheck, "gradcheck", "--sizes", "784,30,10", "--batch", "1",
                     "--method", "dual", NULL};
    char *start[] = {(char *)bpcheck, "--version", NULL}, *none[] = {"/bin/true", NULL};
    double tc[WHOLE_RUNS], ts[WHOLE_RUNS], tn[WHOLE_RUNS];
    for (int r = 0; r < WHOLE_RUNS; r++) /* interleaved: a busy spell of the machine slows all three */
        tc[r] = timed_run(check, NULL, 0, NULL), ts[r] = timed_run(start, NULL, 0, NULL),
        tn[r] = timed_run(none, NULL, 0, NULL);
    qsort(tc, WHOLE_RUNS, sizeof *tc, cmp), qsort(ts, WHOLE_RUNS, sizeof *ts, cmp);
    qsort(tn, WHOLE_RUNS, sizeof *tn, cmp);
    const int mid = WHOLE_RUNS / 2;
    printf("\nthe full check of 784-30-10 (23,860 parameters, m = 1) as a whole process:\n");
    printf("  bpcheck gradcheck --method dual   %8.2f ms  (the target: 3 ms; bpcheck --version "
           "alone %.2f ms, /bin/true %.2f ms)\n", 1e3 * tc[mid], 1e3 * ts[mid], 1e3 * tn[mid]);
    const char *py = getenv("BPCHECK_PYTHON") ? getenv("BPCHECK_PYTHON") : "/usr/bin/python3";
    char *torch[] = {(char *)py, "testsuite/bench_gradcheck_torch.py", NULL}, out[256];
    double tt = timed_run(torch, out, sizeof out, NULL);
    if (tt < 0) {
        printf("  torch.autograd.gradcheck (slow)   not measured (no torch for %s)\n", py);
        return;
    }
    printf("  torch.autograd.gradcheck (slow)   %8.2f s   (%.2f s in-process): %.0fx bpcheck's "
           "(the target: 1000x)\n", tt, atof(out), tt / tc[mid]);
}

/* Fixtures on demand: one exact case at batch 32 (cross-entropy, a relu hidden layer). The
 * exact values by the fast path (exact.c) and by MPFR at 2048 bits alone (mp_evaluate), the
 * whole generation (values and the tolerances of both precisions) with the fast path and as
 * it would be with MPFR (the same tolerances), per parameter; then whole `bpcheck fixtures`
 * runs with their peak memory against the case's arrays. MPFR is not run at 4096-1024-10
 * (about a minute and 2.4 GB). */
static int bench_fixtures(const char *bpcheck)
{
    printf("\nbpcheck fixtures: one exact case, batch 32, cross-entropy, relu hidden layer\n\n");
    printf("%-13s %9s %10s %10s %7s %12s %12s %7s %9s\n", "arch", "params", "values", "MPFR", "x",
           "generate", "with MPFR", "x", "us/param");
    static const char *const garchs[] = {"784,12,10", "784,25,10", "784,50,10", "784,100,10",
                                         "2048,512,10", "4096,1024,10"};
    for (size_t a = 0; a < sizeof garchs / sizeof garchs[0]; a++) {
        bp_gen_spec sp;
        memset(&sp, 0, sizeof sp);
        sp.cost = BP_CROSS_ENTROPY, sp.red = BP_MEAN, sp.m = 32, sp.regime = BP_R_TYPICAL;
        sp.slope = BP_LEAKY_SLOPE, sp.eta = 0.5;
        bp_error err;
        if (bp_sizes_parse(garchs[a], &sp.L, sp.n, &err))
            return 1;
        sp.act[1] = BP_ACT_RELU;
        bp_case c;
        double t0 = now();
        if (bp_gen_case(&sp, &c, &err)) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        double gen = now() - t0;
        bp_model *g = bp_model_alloc_like(c.params, &err), *st = bp_model_alloc_like(c.params, &err);
        bp_trace *tr = bp_trace_alloc(c.params, sp.m, &err);
        if (!g || !st || !tr)
            return 1;
        double t1 = now();
        ex_evaluate(c.params, c.batch, c.cost, c.red, c.eta, g, st, tr, NULL);
        double fast = now() - t1, slow = NAN;
        if (c.params->nparams < 2000000) {
            double t2 = now();
            mp_evaluate(c.params, c.batch, c.cost, c.red, c.eta, g, NULL, st, tr);
            slow = now() - t2;
        }
        char name[32], ms[16] = "-", mx[16] = "-", wg[16] = "-", wx[16] = "-";
        bp_sizes_format(c.params, name, sizeof name);
        if (!isnan(slow)) {
            snprintf(ms, sizeof ms, "%.3g s", slow), snprintf(mx, sizeof mx, "%.1fx", slow / fast);
            snprintf(wg, sizeof wg, "%.3g s", gen - fast + slow);
            snprintf(wx, sizeof wx, "%.1fx", (gen - fast + slow) / gen);
        }
        printf("%-13s %9zu %8.3g s %10s %7s %10.3g s %12s %7s %9.3g\n", name, c.params->nparams,
               fast, ms, mx, gen, wg, wx, 1e6 * gen / (double)c.params->nparams);
        fflush(stdout);
        bp_model_free(g), bp_model_free(st), bp_trace_free(tr);
        bp_case_clear(&c);
    }
    printf("\n%-13s %12s %12s %12s %10s   (the whole command; the target: 8 s and 2x)\n", "arch",
           "bpcheck", "peak", "arrays", "peak/arr");
    static const char *const warchs[] = {"2048,512,10", "4096,1024,10"};
    for (size_t a = 0; a < 2; a++) {
        long kib, raw;
        double t = fixtures_run(bpcheck, warchs[a], &kib, &raw);
        if (t < 0 || raw <= 0)
            return 1;
        printf("%-13s %10.3g s %9.0f MB %9.0f MB %9.2fx\n", warchs[a], t, kib / 1024.0,
               raw / 1048576.0, kib * 1024.0 / (double)raw);
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: build/bench [--references-only | --many | --fixtures | --oracles | --scale |\n"
               "                   --whole | --bpcheck PROGRAM]\n"
               "\n"
               "make bench's timings, as ratios measured in one run: the literal and vectorized\n"
               "references, the oracles and checks, the fixture generator, conformance at scale\n"
               "(PROGRAM, default bin/bpcheck) and the runner's memory over many cases. Run from\n"
               "the top of the tree: the cases it generates go to build/bench-cases/.\n"
               "\n"
               "  --references-only  only the references' table\n"
               "  --many             only the many-cases table\n"
               "  --fixtures         only the fixture generator's tables (bin/bpcheck)\n"
               "  --oracles          only the gradient checks' tables (bin/bpcheck)\n"
               "  --scale            only the conformance-at-scale table (bin/bpcheck)\n"
               "  --whole            only the full check of 784-30-10 as a whole process, beside\n"
               "                     torch.autograd.gradcheck (bin/bpcheck)\n"
               "  -h, --help         show this help\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--references-only") != 0 && strcmp(argv[1], "--many") != 0 &&
        strcmp(argv[1], "--fixtures") != 0 && strcmp(argv[1], "--oracles") != 0 &&
        strcmp(argv[1], "--scale") != 0 && strcmp(argv[1], "--whole") != 0 &&
        strcmp(argv[1], "--bpcheck") != 0) {
        fprintf(stderr, "bench: unknown option '%s'\nTry 'build/bench --help'.\n", argv[1]);
        return 2;
    }
    int references_only = argc > 1 && strcmp(argv[1], "--references-only") == 0;
    if (argc > 1 && strcmp(argv[1], "--many") == 0) { /* that table alone */
        mkdir("build", 0777), mkdir("build/bench-cases", 0777);
        int rc = bench_many("bin/bpcheck");
        mp_done();
        return rc;
    }
    if (argc > 1 && strcmp(argv[1], "--oracles") == 0) { /* those tables alone */
        int rc = bench_oracles();
        bench_whole_check("bin/bpcheck");
        return rc;
    }
    if (argc > 1 && strcmp(argv[1], "--whole") == 0) { /* that measure alone */
        bench_whole_check("bin/bpcheck");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--scale") == 0) { /* that table alone */
        int rc = bench_scale("bin/bpcheck");
        mp_done();
        return rc;
    }
    if (argc > 1 && strcmp(argv[1], "--fixtures") == 0) { /* those tables alone */
        int rc = bench_fixtures("bin/bpcheck");
        mp_done();
        return rc;
    }
    const char *bpcheck = argc > 2 && strcmp(argv[1], "--bpcheck") == 0 ? argv[2] : "bin/bpcheck";
    const bp_cost models[] = {BP_QUADRATIC, BP_LOGLIK, BP_CROSS_ENTROPY};
    static const char *const archs[] = {"784,100,10", "784,30,10"};
    static const size_t ms[] = {1, 32};
    const char *isa;
    double peak = fma_peak(&isa);
    printf("bpcheck bench: seconds per sample, medians of %d runs of >= %g s each, one process\n",
           REPEATS, MIN_RUN);
    printf("(GSL %s, CBLAS: %s%s; literal = the per-index reference loops, vector = gsl_blas;\n"
           " grad/fwd = gradient time / forward time of the same implementation; of peak = the vector\n"
           " gradient's flops (2 per multiply-add: W a, W^T delta above layer 1, delta a^T) a second,\n"
           " over this core's measured %s FMA peak, %.3g Gflop/s)\n\n",
           GSL_VERSION, BPCHECK_BLAS, strcmp(BPCHECK_BLAS, "gslcblas") ? "" : " (GSL's own, the default build's)",
           isa, peak / 1e9);
    printf("%-14s %-11s %3s  %12s %12s %9s  %13s %13s %8s\n", "model", "arch", "m", "literal grad",
           "vector grad", "speed-up", "lit grad/fwd", "vec grad/fwd", "of peak");
    for (size_t mi = 0; mi < 3; mi++)
        for (size_t a = 0; a < 2; a++)
            for (size_t k = 0; k < 2; k++) {
                bp_error err;
                bp_model *params = tu_model(archs[a], 1);
                bp_model *grad = bp_model_alloc_like(params, &err);
                bp_batch *b = tu_batch(params, ms[k], 1);
                if (models[mi] == BP_CROSS_ENTROPY) /* one-hot targets */
                    for (size_t p = 0; p < b->m; p++)
                        for (size_t j = 0; j < 10; j++)
                            b->y[p * 10 + j] = j == p % 10;
                job jobs[4];
                double t[4];
                for (int w = 0; w < 4; w++) {
                    jobs[w] = (job){(op)w, models[mi], params, grad, b};
                    t[w] = measure(&jobs[w]) / (double)ms[k];
                }
                char arch[32];
                bp_sizes_format(params, arch, sizeof arch);
                printf("%-14s %-11s %3zu  %10.3g s %10.3g s %8.1fx  %13.2f %13.2f %7.1f%%\n",
                       bp_cost_name(models[mi]), arch, ms[k], t[LIT_GRAD], t[VEC_GRAD],
                       t[LIT_GRAD] / t[VEC_GRAD], t[LIT_GRAD] / t[LIT_FWD],
                       t[VEC_GRAD] / t[VEC_FWD], 100.0 * backprop_flops(params) / t[VEC_GRAD] / peak);
                fflush(stdout);
                bp_batch_free(b), bp_model_free(params), bp_model_free(grad);
            }

    if (references_only)
        return 0;
    if (bench_oracles())
        return 1;
    bench_whole_check(bpcheck);
    if (bench_fixtures(bpcheck))
        return 1;
    int rc = bench_scale(bpcheck);
    if (rc == 0)
        rc = bench_many(bpcheck);
    mp_done();
    return rc;
}
