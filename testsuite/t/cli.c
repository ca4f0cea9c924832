/* testsuite/t/cli.c: bin/bpcheck's command line: --help, --version and usage errors. */
#define _POSIX_C_SOURCE 200809L
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

    /* The version is "bpcheck MAJOR.MINOR.PATCH" and nothing else on stdout. */
    char *out;
    bpcheck("--version", 1, &out);
    unsigned a, b, c;
    char nl;
    tap_ok(sscanf(out, "bpcheck %u.%u.%u%c", &a, &b, &c, &nl) == 4 && nl == '\n' &&
               strchr(out, '\n')[1] == '\0',
           "cli: --version prints one line 'bpcheck MAJOR.MINOR.PATCH'");
    free(out);
    return tap_done();
}
