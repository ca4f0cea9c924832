/* testsuite/conform/child.c: the child process of the conformance runner (child.h). */
#define _GNU_SOURCE /* F_SETPIPE_SZ, where Linux has it */
#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const char *signal_name(int sig)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {{SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"}, {SIGFPE, "SIGFPE"},
                 {SIGILL, "SIGILL"}, {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"}, {SIGPIPE, "SIGPIPE"},
                 {SIGINT, "SIGINT"}, {SIGHUP, "SIGHUP"}, {SIGQUIT, "SIGQUIT"},
                 {SIGXCPU, "SIGXCPU"} /* its CPU time limit (ulimit -t) */, {SIGXFSZ, "SIGXFSZ"},
                 {SIGALRM, "SIGALRM"}, {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i].sig == sig)
            return names[i].name;
    return "a signal";
}

/* How a reaped child ended, in words. */
static void describe(int status, char *msg, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(msg, len, "was killed by %s (%s, signal %d)", signal_name(WTERMSIG(status)),
                 strsignal(WTERMSIG(status)), WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status) > 128 && WEXITSTATUS(status) < 160)
        /* /bin/sh reports a command killed by signal N as status 128 + N */
        snprintf(msg, len, "was killed by %s (%s, signal %d; the shell's status %d)",
                 signal_name(WEXITSTATUS(status) - 128), strsignal(WEXITSTATUS(status) - 128),
                 WEXITSTATUS(status) - 128, WEXITSTATUS(status));
    else /* exited: waitpid without WUNTRACED reports no stopped child */
        snprintf(msg, len, "exited with status %d", WEXITSTATUS(status));
}

void bp_child_init(bp_child *c, const char *cmd, size_t max_line)
{
    memset(c, 0, sizeof *c);
    c->cmd = strdup(cmd);
    c->to_child = c->from_child = c->from_err = -1;
    c->max_line = max_line;
    c->exit_status = -1;
    c->send_timeout = 60.0;
}

int bp_child_exec(bp_child *c, const char *path, const char *arg)
{
    free(c->exec_path), free(c->exec_arg);
    c->exec_path = strdup(path), c->exec_arg = strdup(arg);
    return c->exec_path && c->exec_arg ? 0 : -1;
}

/* The process groups of the children running, for the signal handler. */
#define MAX_GROUPS 16
static volatile sig_atomic_t groups[MAX_GROUPS];

static void track(pid_t pgid, int on)
{
    for (int i = 0; i < MAX_GROUPS; i++)
        if (on ? groups[i] == 0 : groups[i] == pgid) {
            groups[i] = on ? pgid : 0;
            return;
        }
}

/* Kill process group g and reap its members that are our children (the child itself, and
 * what it left behind: we are their subreaper), for up to about 100 ms. Async-signal-safe. */
static void kill_group(pid_t g)
{
    kill(-g, SIGKILL);
    for (int i = 0; i < 100; i++) {
        pid_t r = waitpid(-g, NULL, WNOHANG);
        if (r < 0) /* ECHILD: none left */
            return;
        if (r == 0) {
            struct timespec t = {0, 1000000};
            nanosleep(&t, NULL);
        }
    }
}

static volatile sig_atomic_t graceful, caught;

void bp_child_graceful(int on)
{
    graceful = on;
}

int bp_child_interrupted(void)
{
    return caught;
}

static void on_signal(int sig)
{
    for (int i = 0; i < MAX_GROUPS; i++)
        if (groups[i] > 0)
            kill_group((pid_t)groups[i]);
    signal(sig, SIG_DFL); /* a second one ends the run at once */
    if (graceful && !caught) {
        caught = sig; /* the run reports, then ends by it (conform.c) */
        return;
    }
    raise(sig);
}

/* Set once we are the subreaper of what the children leave behind. */
static int subreaper;

void bp_child_kill_on_signals(void)
{
#ifdef PR_SET_CHILD_SUBREAPER
    /* what a child leaves behind becomes ours, not init's, so that we reap it */
    subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
#endif
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int start(bp_child *c, char *msg, size_t msglen)
{
    int in[2], out[2], err[2];
    signal(SIGPIPE, SIG_IGN); /* a dead child is an EPIPE to report, not our death */
    c->start_failed = 1;
    if (caught) { /* nothing starts once the run is interrupted */
        snprintf(msg, msglen, "the run was interrupted");
        return -1;
    }
    if (!c->cmd) { /* bp_child_init's copy */
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    if (pipe(in)) {
        snprintf(msg, msglen, "cannot create pipes: %s", strerror(errno));
        return -1;
    }
    if (pipe(out)) {
        snprintf(msg, msglen, "cannot create pipes: %s", strerror(errno));
        close(in[0]), close(in[1]);
        return -1;
    }
    if (pipe(err)) {
        snprintf(msg, msglen, "cannot create pipes: %s", strerror(errno));
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, msglen, "cannot fork: %s", strerror(errno));
        close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        return -1;
    }
    c->start_failed = 0;
    /* the child between fork and exec: exec replaces it before gcov writes, so make coverage
     * does not count it (GCOVR_EXCL); every test that starts an implementation runs it */
    if (pid == 0) { /* GCOVR_EXCL_START */
        setpgid(0, 0); /* its own group: a hang is killed with everything it started */
        signal(SIGPIPE, SIG_DFL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        if (c->exec_path) /* a name without '/' (argv[0] where /proc is not) looked up in PATH */
            execlp(c->exec_path, c->exec_path, c->exec_arg, (char *)NULL);
        else
            execl("/bin/sh", "sh", "-c", c->cmd, (char *)NULL);
        _exit(127);
    } /* GCOVR_EXCL_STOP */
    setpgid(pid, pid);
#ifdef F_SETPIPE_SZ
    /* 1 MiB pipes (Linux; 64 KiB by default): a 30 MB payload in 30 writes, not 500 */
    fcntl(in[1], F_SETPIPE_SZ, 1 << 20);
    fcntl(out[0], F_SETPIPE_SZ, 1 << 20);
#endif
    close(in[0]), close(out[1]), close(err[1]);
    fcntl(err[0], F_SETFD, FD_CLOEXEC);
    fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK); /* drained as it comes */
    c->from_err = err[0], c->err_len = 0, c->first_len = 0, c->exit_status = -1;
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK); /* write_all never blocks */
    fcntl(out[0], F_SETFD, FD_CLOEXEC);
    c->pid = c->pgid = pid, c->to_child = in[1], c->from_child = out[0], c->len = c->scanned = 0;
    track(pid, 1);
    return 0;
}

/* Whatever the child has written to stderr so far: passed on to ours, and its end kept in
 * err_tail. At its end (or on an error) the pipe is closed. */
static void drain_err(bp_child *c)
{
    char chunk[4096];
    while (c->from_err >= 0) {
        ssize_t n = read(c->from_err, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                close(c->from_err);
                c->from_err = -1;
            }
            return;
        }
        for (ssize_t o = 0; o < n;) {
            ssize_t w = write(2, chunk + o, (size_t)(n - o));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break; /* ours is closed: dropped */
            o += w;
        }
        size_t k = (size_t)n, keep = sizeof c->err_tail;
        if (k >= keep) {
            memcpy(c->err_tail, chunk + k - keep, keep), c->err_len = keep;
            continue;
        }
        if (c->err_len + k > keep) {
            size_t drop = c->err_len + k - keep;
            memmove(c->err_tail, c->err_tail + drop, c->err_len - drop), c->err_len -= drop;
        }
        memcpy(c->err_tail + c->err_len, chunk, k), c->err_len += k;
    }
}

/* Kill the child's process group and reap it; *status gets how it ended. */
static void kill_child(bp_child *c, int *status)
{
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, status, 0);
    }
    if (c->pgid > 0) { /* the whole group, whether or not its leader is still there */
        kill_group(c->pgid);
        track(c->pgid, 0);
        c->pgid = 0;
    }
    if (c->to_child >= 0)
        close(c->to_child);
    if (c->from_child >= 0)
        close(c->from_child);
    if (c->from_err >= 0) {
        drain_err(c);
        close(c->from_err);
    }
    c->pid = 0, c->to_child = c->from_child = c->from_err = -1, c->len = c->scanned = 0;
}

void bp_child_kill(bp_child *c)
{
    int status;
    kill_child(c, &status);
}

/* The child closed its output: give it a moment to exit on its own, then say how it ended. */
static void reap(bp_child *c, char *how, size_t len)
{
    int status = 0;
    double until = now() + 1.0;
    pid_t r = 0;
    while ((r = waitpid(c->pid, &status, WNOHANG)) == 0 && now() < until) {
        struct timespec t = {0, 10000000};
        nanosleep(&t, NULL);
    }
    if (r == c->pid) {
        describe(status, how, len);
        c->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
        c->pid = 0;
    } else {
        snprintf(how, len, "closed its output but kept running (it was killed)");
    }
    kill_child(c, &status);
}

/* Wait until the child's output has bytes (or its end) to read: 1; or, past until, kill the
 * child and return 0. */
static int readable(bp_child *c, double until)
{
    for (;;) {
        double left = until - now();
        struct pollfd pfd[2] = {{c->from_child, POLLIN, 0}, {c->from_err, POLLIN, 0}};
        int r = left > 0 ? poll(pfd, c->from_err >= 0 ? 2 : 1, (int)(left * 1000) + 1) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            int status;
            kill_child(c, &status);
            return 0;
        }
        if (c->from_err >= 0 && pfd[1].revents)
            drain_err(c);
        if (pfd[0].revents)
            return 1;
    }
}

/* The first bytes of stdout since the start, kept for a report of what came instead of an
 * answer (a print on stdout). */
static void keep_first(bp_child *c, const char *p, size_t n)
{
    size_t room = sizeof c->first_bytes - c->first_len;
    memcpy(c->first_bytes + c->first_len, p, n < room ? n : room);
    c->first_len += n < room ? n : room;
}

/* Make room for at least 65536 more bytes in buf; -1 when memory runs out. */
static int grow(bp_child *c)
{
    if (c->cap - c->len >= 65536)
        return 0;
    size_t cap = c->cap ? 2 * c->cap : 131072;
    char *b = realloc(c->buf, cap);
    if (!b)
        return -1;
    c->buf = b, c->cap = cap;
    return 0;
}

/* Write len bytes to the child. While its input is full, whatever it writes meanwhile is read
 * into buf (up to max_line), so that a child answering before it has read everything cannot
 * deadlock us; a child that reads nothing for send_timeout seconds is killed. */
static bp_child_status write_all(bp_child *c, const char *p, size_t left, char *msg, size_t msglen)
{
    /* a case's deadline holds for the whole request; without one, each write may wait
     * send_timeout for the child to read */
    double until = c->deadline > 0 ? c->deadline : now() + c->send_timeout;
    while (left > 0) {
        struct pollfd pfd[3] = {{c->to_child, POLLOUT, 0}, {c->from_err, POLLIN, 0}, {c->from_child, POLLIN, 0}};
        int room = c->len <= c->max_line;
        double wait = until - now();
        int r = wait > 0 ? poll(pfd, room ? 3 : 2, (int)(wait * 1000) + 1) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            int status;
            kill_child(c, &status);
            if (c->deadline > 0)
                snprintf(msg, msglen, "the implementation did not read its request within the case's "
                         "%g s (it was killed)", c->deadline_len);
            else
                snprintf(msg, msglen, "the implementation read none of its input for %g s (it was "
                         "killed)", c->send_timeout);
            return CHILD_TIMEOUT;
        }
        if (pfd[1].revents)
            drain_err(c);
        if (room && (pfd[2].revents & (POLLIN | POLLHUP)) && grow(c) == 0) {
            ssize_t n = read(c->from_child, c->buf + c->len, c->cap - c->len);
            if (n > 0)
                keep_first(c, c->buf + c->len, (size_t)n), c->len += (size_t)n;
        }
        if (!(pfd[0].revents & (POLLOUT | POLLERR | POLLHUP)))
            continue;
        ssize_t w = write(c->to_child, p, left);
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (w < 0) {
            char how[256];
            reap(c, how, sizeof how);
            snprintf(msg, msglen, "the implementation stopped reading its input: it %s", how);
            return CHILD_EXITED;
        }
        p += w, left -= (size_t)w;
        if (c->deadline <= 0)
            until = now() + c->send_timeout;
    }
    return CHILD_OK;
}

void bp_child_prestart(bp_child *c)
{
    char msg[256];
    if (c->pid == 0 && start(c, msg, sizeof msg) == 0)
        c->prestarted = 1;
}

bp_child_status bp_child_send(bp_child *c, const char *line, size_t len, char *msg, size_t msglen)
{
    c->prestarted = 0;
    if (c->pid == 0 && start(c, msg, msglen))
        return CHILD_ERROR;
    bp_child_status st = write_all(c, line, len, msg, msglen);
    return st == CHILD_OK ? write_all(c, "\n", 1, msg, msglen) : st;
}

/* A raw write or any read needs a child already started (by bp_child_send): 0 when there is
 * one, else -1 with why. */
static int not_running(const bp_child *c, char *msg, size_t msglen)
{
    if (c->pid != 0)
        return 0;
    snprintf(msg, msglen, "the implementation is not running");
    return -1;
}

bp_child_status bp_child_send_raw(bp_child *c, const void *data, size_t len, char *msg, size_t msglen)
{
    return not_running(c, msg, msglen) ? CHILD_ERROR : write_all(c, data, len, msg, msglen);
}

bp_child_status bp_child_recv(bp_child *c, char **line, double timeout, char *msg, size_t msglen)
{
    *line = NULL;
    if (not_running(c, msg, msglen))
        return CHILD_ERROR;
    double until = now() + timeout;
    if (c->deadline > 0 && c->deadline < until)
        until = c->deadline, timeout = c->deadline_len;
    for (;;) {
        char *nl = c->len > c->scanned ? memchr(c->buf + c->scanned, '\n', c->len - c->scanned) : NULL;
        c->scanned = c->len;
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            *line = malloc(n + 1);
            if (!*line) {
                snprintf(msg, msglen, "out of memory for a %zu-byte answer", n);
                c->oom = 1;
                return CHILD_ERROR;
            }
            memcpy(*line, c->buf, n);
            (*line)[n] = '\0';
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            c->scanned = 0;
            c->answers++;
            return CHILD_OK;
        }
        if (c->len > c->max_line) {
            int status;
            kill_child(c, &status);
            snprintf(msg, msglen, "the answer is longer than %zu bytes without a newline (the "
                     "implementation was killed)", c->max_line);
            return CHILD_TOO_LONG;
        }
        if (!readable(c, until)) {
            snprintf(msg, msglen, "no answer within %g s (the implementation was killed)",
                     timeout);
            return CHILD_TIMEOUT;
        }
        if (grow(c)) {
            snprintf(msg, msglen, "out of memory reading the answer");
            c->oom = 1;
            return CHILD_ERROR;
        }
        ssize_t n = read(c->from_child, c->buf + c->len, c->cap - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            char how[256];
            size_t partial = c->len;
            reap(c, how, sizeof how);
            if (partial)
                snprintf(msg, msglen, "the answer was cut off after %zu bytes: the "
                         "implementation %s", partial, how);
            else
                snprintf(msg, msglen, "no answer: the implementation %s", how);
            return CHILD_EXITED;
        }
        keep_first(c, c->buf + c->len, (size_t)n);
        c->len += (size_t)n;
    }
}

bp_child_status bp_child_recv_raw(bp_child *c, void *dst, size_t len, double timeout, char *msg,
                                  size_t msglen)
{
    if (not_running(c, msg, msglen))
        return CHILD_ERROR;
    char *out = dst;
    size_t have = c->len < len ? c->len : len; /* what the line reads already took in */
    memcpy(out, c->buf, have);
    memmove(c->buf, c->buf + have, c->len - have);
    c->len -= have, c->scanned = 0;
    double until = now() + timeout;
    if (c->deadline > 0 && c->deadline < until)
        until = c->deadline, timeout = c->deadline_len;
    while (have < len) {
        if (!readable(c, until)) {
            snprintf(msg, msglen, "the payload stopped after %zu of %zu bytes for %g s (the "
                     "implementation was killed)", have, len, timeout);
            return CHILD_TIMEOUT;
        }
        ssize_t n = read(c->from_child, out + have, len - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            char how[256];
            reap(c, how, sizeof how);
            snprintf(msg, msglen, "the payload was cut off after %zu of %zu bytes: the "
                     "implementation %s", have, len, how);
            return CHILD_EXITED;
        }
        have += (size_t)n;
    }
    return CHILD_OK;
}

void bp_child_stop(bp_child *c)
{
    if (c->pid == 0)
        return;
    close(c->to_child);
    c->to_child = -1;
    int status;
    double until = now() + 0.5;
    pid_t r;
    /* its output closing is the sign it exits: wait for that rather than sleep in steps */
    char sink[4096];
    for (;;) {
        struct pollfd pfd[2] = {{c->from_child, POLLIN, 0}, {c->from_err, POLLIN, 0}};
        if (now() >= until || poll(pfd, c->from_err >= 0 ? 2 : 1, (int)((until - now()) * 1000) + 1) <= 0)
            break;
        if (c->from_err >= 0 && pfd[1].revents)
            drain_err(c); /* a child that writes to stderr as it exits is not blocked */
        if (pfd[0].revents && read(c->from_child, sink, sizeof sink) <= 0)
            break;
    }
    while ((r = waitpid(c->pid, &status, WNOHANG)) == 0 && now() < until) {
        struct timespec t = {0, 200000};
        nanosleep(&t, NULL);
    }
    if (r == c->pid)
        c->pid = 0; /* reaped: nothing left to kill */
    kill_child(c, &status);
}

void bp_child_stderr_tail(const bp_child *c, size_t n, char *buf, size_t len)
{
    size_t end = c->err_len, from = end;
    while (end > 0 && (c->err_tail[end - 1] == '\n' || c->err_tail[end - 1] == '\r'))
        end--; /* the last line's newline */
    for (from = end; from > 0 && n > 0; from--)
        if (c->err_tail[from - 1] == '\n' && --n == 0)
            break;
    size_t k = end - from < len - 1 ? end - from : len - 1;
    memcpy(buf, c->err_tail + end - k, k);
    buf[k] = '\0';
}

void bp_child_first_bytes(const bp_child *c, char *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < c->first_len && o + 5 < len; i++) {
        unsigned char ch = (unsigned char)c->first_bytes[i];
        if (ch == '\n' || ch == '\t')
            buf[o++] = '\\', buf[o++] = ch == '\n' ? 'n' : 't';
        else if (ch < 32 || ch >= 127 || ch == '"' || ch == '\\')
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
    }
    buf[o] = '\0';
}

void bp_child_deadline(bp_child *c, double seconds)
{
    c->deadline = seconds > 0 ? now() + seconds : 0;
    c->deadline_len = seconds;
}

/* Kill each child listed in /proc/self/task/PID/children (Linux 3.5, CONFIG_PROC_CHILDREN): 1
 * if one was, 0 if none, -1 if the file cannot be read (then every process is looked at). One
 * read of a short file, where the scan of /proc costs 2 ms with 70 processes and grows with
 * the machine's. The file lists the children of this thread only: the runner has one. */
static int kill_listed_children(pid_t self)
{
    char path[64];
    while (waitpid(-1, NULL, WNOHANG) > 0) /* the dead are listed until reaped */
        ;
    snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)self);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int found = 0;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1 && pid > 0) {
        kill((pid_t)pid, SIGKILL);
        found = 1;
    }
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : found;
}

/* Kill every process whose parent is this one, found by looking at each /proc/N/stat (where
 * the children file is missing): 1 if one was, else 0. */
static int kill_scanned_children(pid_t self)
{
    int found = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        const char *close_paren = strrchr(buf, ')'); /* the name may hold spaces and ')' */
        char state;
        int ppid;
        if (close_paren && sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 && ppid == self) {
            kill((pid_t)atoi(e->d_name), SIGKILL);
            found = 1;
        }
    }
    if (d)
        closedir(d);
    return found;
}

/* Kill every process whose parent is this one: as the subreaper, those are what the children
 * left behind, in a session of their own (setsid) or daemonised; one that is killed hands us
 * its own children, so this goes round until none is left (or 5 s have passed). */
static void kill_orphans(void)
{
    pid_t self = getpid();
    double until = now() + 5.0;
    for (int found = 1; found && now() < until;) {
        found = kill_listed_children(self);
        if (found < 0)
            found = kill_scanned_children(self);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (found) {
            struct timespec t = {0, 10000000};
            nanosleep(&t, NULL);
        }
    }
}

void bp_child_free(bp_child *c)
{
    bp_child_stop(c);
    if (subreaper)
        kill_orphans();
    free(c->cmd), free(c->exec_path), free(c->exec_arg);
    free(c->buf);
    memset(c, 0, sizeof *c);
}
