/* testsuite/tap/tap.c: the TAP producer declared in tap.h (TAP 14 content, see there). */
#include "tap.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_started;   /* version line printed */
static int tap_planned;   /* plan printed (up front) */
static int tap_count;     /* points emitted */
static int tap_failed;    /* failing points that were not TODO */
static const char *tap_todo_reason;

static void tap_start(void)
{
    if (tap_started)
        return;
    const char *v = getenv("TAP_VERSION");
    printf("TAP version %s\n", (v && strcmp(v, "14") == 0) ? "14" : "13");
    tap_started = 1;
}

void tap_plan(int n)
{
    tap_start();
    printf("1..%d\n", n);
    tap_planned = 1;
    fflush(stdout);
}

int tap_done(void)
{
    tap_start();
    if (!tap_planned)
        printf("1..%d\n", tap_count);
    fflush(stdout);
    return tap_failed ? 1 : 0;
}

int tap_failures(void) { return tap_failed; }

/* A description may not contain '#' (it would start a directive) nor a newline. */
static void tap_print_description(const char *fmt, va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    for (char *p = buf; *p; p++)
        if (*p == '#' || *p == '\n')
            *p = (*p == '#') ? '%' : ' ';
    printf(" - %s", buf);
}

/* Print "ok N - desc" or "not ok N - desc" (plus a TODO directive); count the failure. */
static void tap_point(int pass, const char *fmt, va_list ap)
{
    tap_start();
    tap_count++;
    printf("%sok %d", pass ? "" : "not ", tap_count);
    if (fmt && *fmt)
        tap_print_description(fmt, ap);
    if (tap_todo_reason)
        printf(" # TODO %s", tap_todo_reason);
    printf("\n");
    if (!pass && !tap_todo_reason)
        tap_failed++;
}

/* YAML scalars: doubles round-trip with 17 significant digits; YAML 1.2 spells NaN and Inf
 * as .nan, .inf and -.inf. */
static void yaml_double(const char *key, double v)
{
    if (isnan(v))
        printf("  %s: .nan\n", key);
    else if (isinf(v))
        printf("  %s: %s\n", key, v > 0 ? ".inf" : "-.inf");
    else
        printf("  %s: %.17g\n", key, v);
}

static void yaml_begin(const char *message)
{
    printf("  ---\n  message: \"%s\"\n", message);
}

static void yaml_end(void)
{
    printf("  ...\n");
    fflush(stdout);
}

int tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_point(cond != 0, fmt, ap);
    va_end(ap);
    fflush(stdout);
    return cond != 0;
}

int tap_is_int(long got, long expected, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int pass = got == expected;
    tap_point(pass, fmt, ap);
    va_end(ap);
    if (!pass) {
        yaml_begin("integers differ");
        printf("  got: %ld\n  expected: %ld\n", got, expected);
        yaml_end();
        tap_diag("    got: %ld, expected: %ld", got, expected);
    }
    fflush(stdout);
    return pass;
}

/* The one comparison rule: NaN never passes; infinities pass only against the same
 * infinity; finite values pass within the tolerance. */
static int tap_within(double got, double expected, double tol)
{
    if (isnan(got) || isnan(expected))
        return 0;
    if (isinf(got) || isinf(expected))
        return got == expected; /* before tol: rtol * |Inf| is NaN when rtol is 0 */
    return fabs(got - expected) <= tol; /* false for a NaN tol */
}

static double tap_rel_error(double got, double expected)
{
    double d = fabs(got - expected);
    return expected != 0.0 ? d / fabs(expected) : (d == 0.0 ? 0.0 : INFINITY);
}

int tap_is_double(double got, double expected, double rtol, double atol, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    double tol = atol + rtol * fabs(expected);
    int pass = tap_within(got, expected, tol);
    tap_point(pass, fmt, ap);
    va_end(ap);
    if (!pass) {
        yaml_begin("doubles differ beyond tolerance");
        yaml_double("got", got);
        yaml_double("expected", expected);
        yaml_double("abs_error", fabs(got - expected));
        yaml_double("rel_error", tap_rel_error(got, expected));
        yaml_double("rtol", rtol);
        yaml_double("atol", atol);
        yaml_end();
        tap_diag("    got: %.17g, expected: %.17g (abs err %.3g, allowed %.3g)", got, expected,
                 fabs(got - expected), tol);
    }
    fflush(stdout);
    return pass;
}

int tap_is_double_array(const double *got, const double *expected, const double *tol,
                        size_t rows, size_t cols, double rtol, double atol, const char *fmt, ...)
{
    size_t n = rows * cols, bad = 0, worst = 0;
    double worst_excess = -INFINITY; /* how far past its tolerance the worst entry is */
    for (size_t i = 0; i < n; i++) {
        double t = tol ? tol[i] : atol + rtol * fabs(expected[i]);
        if (tap_within(got[i], expected[i], t))
            continue;
        double excess = fabs(got[i] - expected[i]) - t;
        if (isnan(excess))
            excess = INFINITY; /* a NaN entry is as bad as it gets; the first one is reported */
        if (bad == 0 || excess > worst_excess)
            worst = i, worst_excess = excess;
        bad++;
    }
    va_list ap;
    va_start(ap, fmt);
    tap_point(bad == 0, fmt, ap);
    va_end(ap);
    if (bad) {
        size_t r = worst / cols, c = worst % cols;
        double t = tol ? tol[worst] : atol + rtol * fabs(expected[worst]);
        yaml_begin("entries differ beyond tolerance");
        if (cols == 1)
            printf("  index: [%zu]\n", r);
        else
            printf("  index: [%zu, %zu]\n", r, c);
        yaml_double("got", got[worst]);
        yaml_double("expected", expected[worst]);
        yaml_double("abs_error", fabs(got[worst] - expected[worst]));
        yaml_double("rel_error", tap_rel_error(got[worst], expected[worst]));
        yaml_double("allowed", t);
        printf("  out_of_tolerance: %zu\n  entries: %zu\n", bad, n);
        yaml_end();
        tap_diag("    worst at [%zu,%zu]: got %.17g, expected %.17g; %zu of %zu out of tolerance",
                 r, c, got[worst], expected[worst], bad, n);
    }
    fflush(stdout);
    return bad == 0;
}

void tap_skip(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tap_start();
    tap_count++;
    printf("ok %d # SKIP %s\n", tap_count, buf);
    fflush(stdout);
}

void tap_todo_begin(const char *reason) { tap_todo_reason = reason; }
void tap_todo_end(void) { tap_todo_reason = NULL; }

void tap_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout);
    fputs("# ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void tap_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_start();
    fputs("# ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

void tap_bail_out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_start();
    fputs("Bail out! ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    fflush(stdout);
    exit(255);
}
