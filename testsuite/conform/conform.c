/* testsuite/conform/conform.c: `bpcheck conform` (conform.h): run an implementation against the
 * golden fixtures over bpcheck-protocol/1 and /2 (testsuite/PROTOCOL.md), one TAP point per
 * case, a YAML block with the place, the size and the likely cause of every failure. This file
 * puts the parts together (runner.h says which does what): the options, the fixtures, the run,
 * the report. */
#define _POSIX_C_SOURCE 200809L
#include "conform.h"

#include <dirent.h> /* opendir: is ./fixtures there */
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h> /* readlink */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#include "config.h" /* BPCHECK_DATADIR: $(PREFIX)/share/bpcheck, written by make */

/* Does folder d hold bpcheck fixtures: a *.json whose first bytes name the format? A user's
 * project may have a fixtures/ folder of its own. */
static int holds_fixtures(const char *d)
{
    DIR *dir = opendir(d);
    struct dirent *e;
    int found = 0;
    while (dir && !found && (e = readdir(dir))) {
        size_t n = strlen(e->d_name);
        char path[4300], head[512];
        if (n <= 5 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", d, e->d_name);
        FILE *f = fopen(path, "rb");
        size_t got = f ? fread(head, 1, sizeof head - 1, f) : 0;
        if (f)
            fclose(f);
        head[got] = '\0';
        found = strstr(head, "\"bpcheck-fixture/") != NULL;
    }
    if (dir)
        closedir(dir);
    return found;
}

/* The installed fixtures: beside the program (PREFIX/bin/bpcheck finds PREFIX/share/bpcheck/
 * fixtures, wherever the tree was moved or installed), else where make put them. */
static const char *installed_fixtures(char *buf, size_t len)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    struct stat st;
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, len, "%s/../share/bpcheck/fixtures", exe);
            if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
                return buf;
        }
    }
    return BPCHECK_DATADIR "/fixtures";
}

/* The fixtures when --fixtures names none, in this order: $BPCHECK_FIXTURES; ./fixtures when
 * it holds bpcheck fixtures (else a note); the installed set. 0, or 2 with all four named. */
static int default_fixtures(cf_opts *o, char *buf, size_t len)
{
    const char *env = getenv("BPCHECK_FIXTURES");
    struct stat st;
    if (env && *env) {
        o->fixtures = env;
        return 0;
    }
    int here = stat("fixtures", &st) == 0 && S_ISDIR(st.st_mode);
    if (here && holds_fixtures("fixtures")) {
        o->fixtures = "fixtures";
        return 0;
    }
    if (here)
        fprintf(stderr, "bpcheck conform: note: ./fixtures holds no bpcheck fixtures (none of its *.json "
                        "names the format); using the installed set\n");
    o->fixtures = installed_fixtures(buf, len);
    if (stat(o->fixtures, &st) == 0)
        return 0;
    fprintf(stderr, "bpcheck conform: no fixtures found. Looked for, in this order: --fixtures (not given); "
                    "$BPCHECK_FIXTURES (not set); ./fixtures (%s); the installed set, %s (not there). Name "
                    "them with --fixtures DIR or FILE, or write your own: bpcheck fixtures --help\n",
            here ? "holds no bpcheck fixtures" : "not there", o->fixtures);
    return 2;
}

/* The implementation and the fixtures when the options name none. */
static int defaults(cf_opts *o, const char *self, char *impl, size_t len, char *fix, size_t flen)
{
    if (cf_inproc && o->impl) {
        fprintf(stderr, "bpcheck conform: --impl does not apply in-process (libbpcheck)\n");
        return 2;
    }
    if (cf_inproc)
        o->impl = "in-process (libbpcheck)";
    if (!o->impl) {
        snprintf(impl, len, "'%s' serve", self);
        o->impl = impl, o->self = self;
    }
    return o->fixtures ? 0 : default_fixtures(o, fix, flen);
}

/* The MiB of cases kept read from the start (BPCHECK_KEEP_MIB, bpcheck(1)): the bundled 281
 * hold 6 MB; beyond the budget a case is read again when its turn comes, which costs a second
 * parse of its JSON (the bundled set's run would take twice as long). */
#define CF_KEEP_MIB 64

/* BPCHECK_KEEP_MIB, or the default: -1, said on stderr, when it is not a whole number of MiB. */
static long long keep_mib(void)
{
    const char *env = getenv("BPCHECK_KEEP_MIB");
    char *end;
    if (!env)
        return CF_KEEP_MIB;
    long long v = strtoll(env, &end, 10);
    if (end == env || *end || v < 0 || v > CF_MAX_RESPONSE_MIB) {
        fprintf(stderr, "bpcheck conform: BPCHECK_KEEP_MIB is '%s'; expected a whole number of MiB from 0 "
                        "to %d\n", env, CF_MAX_RESPONSE_MIB);
        return -1;
    }
    return v;
}

/* The fixtures, the xfail list, and the selection checked: 0, or 2 with the error said. */
static int load(bp_fixture_set *fs, cf_id_list *xf, const cf_opts *o)
{
    bp_error ferr;
    long long mib = keep_mib();
    if (mib < 0)
        return 2;
    /* only the profile judged: a 4 M-parameter case's other bounds are 64 MB not to hold */
    bp_fixture_only_profile(o->float32 ? BP_FLOAT32 : BP_FLOAT64);
    /* and the cases beyond the budget one at a time, each read again at its turn (run.c) */
    bp_fixture_keep((size_t)mib << 20);
    int loaded = bp_fixture_load_dir(fs, o->fixtures, &ferr);
    bp_fixture_keep(SIZE_MAX);
    bp_fixture_only_profile(-1);
    if (loaded) {
        fprintf(stderr, "bpcheck conform: %s\n", ferr.msg);
        return 2;
    }
    if ((o->xfail_path && cf_xfail_load(xf, o->xfail_path)) || cf_patterns_unmatched(fs, o)) {
        bp_fixture_set_free(fs);
        cf_xfail_free(xf);
        return 2;
    }
    return 0;
}

int bp_conform_main(int argc, char **argv, const char *self)
{
    cf_opts o;
    int rc = cf_parse_args(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : 2;
    cf_run_reset();
    char default_impl[4200];
    bp_fixture_set fs = {NULL, 0};
    cf_id_list xf = {NULL, NULL, 0};
    static char default_fix[4400];
    if (defaults(&o, self, default_impl, sizeof default_impl, default_fix, sizeof default_fix))
        return 2;
    if (o.junit_path && cf_junit_unfinished(&o)) /* a --junit that cannot be written: nothing is run */
        return 2;
    bp_child ch;
    bp_child_init(&ch, cf_inproc ? "true" : o.impl, o.max_response << 20); /* started on first use */
    ch.send_timeout = o.timeout;
    if (!cf_inproc)
        bp_child_kill_on_signals(); /* a cancelled run leaves no implementation behind */
    if (o.self) { /* our own 'bpcheck serve': exec'd without a shell, its start beside the load */
        if (bp_child_exec(&ch, o.self, "serve")) {
            fprintf(stderr, "bpcheck conform: out of memory\n");
            bp_child_free(&ch);
            return 2;
        }
        bp_child_prestart(&ch);
    }
    if (load(&fs, &xf, &o)) {
        bp_child_free(&ch);
        return 2;
    }
    static cf_report r; /* its summary is large */
    cf_report_begin(&r, &o);
    bp_child_graceful(!cf_inproc); /* SIGINT or SIGTERM now: the cases run are reported, the rest listed */
    cf_run_all(&r, &ch, &fs, &xf, &o);
    bp_child_free(&ch);
    cf_report_end(&r, &fs, &xf);
    rc = cf_report_status(&r);
    cf_report_free(&r);
    cf_forget_step();
    cf_xfail_free(&xf);
    bp_fixture_set_free(&fs);
    int sig = bp_child_interrupted();
    if (sig) { /* reported: now end as the signal would have (exit 128 + its number) */
        fflush(NULL);
#ifdef BPCHECK_COVERAGE
        extern void __gcov_dump(void); /* the counts of this run, which the signal ends before exit */
        __gcov_dump();
#endif
        signal(sig, SIG_DFL);
        raise(sig);
    }
    bp_child_graceful(0);
    return rc;
}
