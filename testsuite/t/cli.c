/* testsuite/t/cli.c: bin/bpcheck's command line: --help, --version, each command's usage
 * errors, gradcheck --impl against programs that answer wrongly, and bpcheck tolerances. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

static const char *prog;

/* Run bpcheck with args; stdout (which = 1) or stderr (which = 2) into *out. */
static int bpcheck(const char *args, int which, char **out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, which == 1 ? "'%s' %s 2>/dev/null" : "'%s' %s 2>&1 >/dev/null",
             prog, args);
    return tu_run(cmd, out);
}

/* bpcheck ARGS exits with `status` and its stream `which` contains `text`. */
static void expect(const char *args, int status, int which, const char *text)
{
    char *out;
    int got = bpcheck(args, which, &out);
    tap_is_int(got, status, "cli: 'bpcheck %s' exits %d", args, status);
    if (!tap_ok(strstr(out, text) != NULL, "cli: 'bpcheck %s' prints '%s' on %s", args, text,
                which == 1 ? "stdout" : "stderr"))
        tap_diag("it printed: %s", out);
    free(out);
}

int main(void)
{
    prog = tu_env("BPCHECK");
    expect("--help", 0, 1, "Usage: bpcheck [--help] [--version] COMMAND");
    expect("-h", 0, 1, "Exit status: 0 success, 1 a check failed, 2 usage error");
    expect("help", 0, 1, "Commands:");
    expect("--version", 0, 1, "bpcheck ");
    expect("", 2, 2, "Usage: bpcheck");
    expect("frobnicate", 2, 2, "bpcheck: unknown command 'frobnicate'");
    expect("--frobnicate", 2, 2, "bpcheck: unknown option '--frobnicate'");
    expect("help frobnicate", 2, 2, "unknown command 'frobnicate'");
    expect("help a b", 2, 2, "expected at most one command name");

    /* Each command's usage errors: exit 2 and a message naming the option and what it
     * expected; the run stops before doing anything. */
    const char *one = tu_temp_file("0.5,-0.25,1\n"); /* one sample: 2 features, class 1 of 3 */
    char args[1024];
    expect("fixtures --model quadratic --sizes 2,2,1 -o /dev/null --seed -3", 2, 2,
           "--seed '-3': expected an integer from 0");
    expect("fixtures --model quadratic --sizes 2,2,1 -o /dev/null --eta nan", 2, 2,
           "--eta 'nan': expected a finite number");
    expect("fixtures --model quadratic --sizes 2,2,1 -o /dev/null extra", 2, 2,
           "bpcheck fixtures: unknown argument 'extra'");
    snprintf(args, sizeof args, "train --sizes 2,2,3 --data %s --seed x", one);
    expect(args, 2, 2, "bpcheck train: --seed 'x': expected a non-negative integer");
    snprintf(args, sizeof args, "train --sizes 2,2,3 --data %s --test-fraction 0.5", one);
    expect(args, 2, 2, "bpcheck train: --test-fraction: a test fraction of 0.5 leaves 1 of 1 samples for "
           "testing; both parts need at least one");
    snprintf(args, sizeof args, "train --sizes 2,2,3 --data %s --epochs 1 --save /nonexistent/p", one);
    expect(args, 2, 2, "bpcheck train: /nonexistent/p: cannot write");
    expect("gradcheck --seed x", 2, 2, "bpcheck gradcheck: --seed 'x': expected a non-negative integer");
    expect("gradcheck --timeout 0", 2, 2, "bpcheck gradcheck: --timeout '0': expected seconds, more than 0");
    expect("gradcheck --inject abc", 2, 2, "bpcheck gradcheck: --inject 'abc': expected a finite number");
    expect("gradcheck --activations bogus,sigmoid", 2, 2, "bpcheck gradcheck: --activations: ");
    expect("gradcheck --sizes 3", 2, 2, "bpcheck gradcheck: sizes '3': need at least an input and an output size");
    expect("tolerances --profile float16", 2, 2,
           "bpcheck tolerances: --profile 'float16': expected float64 or float32");
    expect("tolerances --frobnicate", 2, 2, "bpcheck tolerances: unknown option or missing value '--frobnicate'");
    expect("tolerances --fixtures /nonexistent", 2, 2, "bpcheck tolerances: cannot open the fixtures directory");

    /* gradcheck --impl against programs that answer wrongly: a failure (1) that says what
     * the answer was, never a pass */
    expect("gradcheck --impl 'while read l; do echo garbage; done'", 1, 2,
           "--impl: the answer is not valid JSON");
    expect("gradcheck --impl 'while read l; do echo \\{\\\"error\\\":\\\"no such model\\\"\\}; done'", 1, 2,
           "the implementation reported an error: no such model");
    expect("gradcheck --impl 'while read l; do echo \\{\\}; done'", 1, 2, "the answer has no 'grad'");
    expect("gradcheck --impl 'exit 0'", 1, 2, "--impl: ");
    /* a wrong gradient: the FAIL row names the worst tensor and entry, with both values */
    char wrong[600];
    snprintf(wrong, sizeof wrong, "gradcheck --sizes 3,4,2 --method central --impl '%s/mutant sign-flipped'",
             tu_env("BPCHECK_ADAPTERS"));
    expect(wrong, 1, 1, "FAIL  worst: "); /* which entry: a tie of relative errors 2, by rounding */

    /* bpcheck tolerances on the bundled fixtures: one line per case with its best and median
     * resolving power per entry (0 < best <= median; NaN where every expected entry is 0), per
     * tensor (no coarser than the best entry, the best no coarser than the median) and per row,
     * and the distribution over the cases */
    char *out;
    int rc = bpcheck("tolerances --fixtures fixtures --only 'quadratic/*'", 1, &out);
    size_t lines = 0, bad = 0;
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
        char id[256];
        double best, median, tb, tm, row;
        size_t k;
        if (l[0] == '#')
            continue;
        lines++;
        if (sscanf(l, "%255s %lf %lf %lf %lf %lf %zu", id, &best, &median, &tb, &tm, &row, &k) != 7 ||
            strncmp(id, "quadratic/", 10) ||
            (k > 0 && !(best > 0 && best <= median && tb > 0 && tb <= best && tb <= tm && row >= tb)) ||
            (k == 0 && !(isnan(best) && isnan(median) && isnan(tb) && isnan(tm) && isnan(row)))) {
            bad++;
            tap_diag("tolerances: %s", l);
        }
    }
    tap_ok(rc == 0 && lines > 50 && bad == 0,
           "tolerances --only 'quadratic/*': %zu cases, each with 0 < best <= median resolving power, "
           "0 < best tensor <= best entry, median tensor, best row (NaN with no entry to resolve)", lines);
    free(out);
    rc = bpcheck("tolerances --fixtures fixtures --profile float32 --summary", 1, &out);
    tap_ok(rc == 0 && strstr(out, "# bpcheck tolerances: fixtures, profile float32") &&
               strstr(out, "# resolving power over ") && strstr(out, "# best entry") &&
               strstr(out, "# median entry") && strstr(out, "# best tensor") && strstr(out, "# best row") &&
               strstr(out, "with the tensor-wide criteria") && !strstr(out, "quadratic/"),
           "tolerances --profile float32 --summary: the distribution, no line per case");
    free(out);
    remove(one);

    /* bugs --verbose: the evidence, and each family's parameter with its values or its fit */
    rc = bpcheck("bugs --verbose", 1, &out);
    tap_ok(rc == 0 && strstr(out, "needs: cost, saturated outputs") &&
               strstr(out, "eps: 2.22e-16 (float64's machine epsilon") &&
               strstr(out, "lambda: fitted from the answer (default 0.0005)") && strstr(out, "\nfloat16 "),
           "bugs --verbose: what each model needs, a family's values, a fitted parameter");
    free(out);

    /* The version is "bpcheck MAJOR.MINOR.PATCH" and nothing else on stdout. */
    bpcheck("--version", 1, &out);
    unsigned a, b, c;
    char nl;
    tap_ok(sscanf(out, "bpcheck %u.%u.%u%c", &a, &b, &c, &nl) == 4 && nl == '\n' &&
               strchr(out, '\n')[1] == '\0',
           "cli: --version prints one line 'bpcheck MAJOR.MINOR.PATCH'");
    free(out);
    return tap_done();
}
