/* testsuite/child.c: the child process of the conformance runner (child.h). */
#define _POSIX_C_SOURCE 200809L
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGPIPE: return "SIGPIPE";
    case SIGINT: return "SIGINT";
    default: return "a signal";
    }
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
    else if (WIFEXITED(status))
        snprintf(msg, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(msg, len, "stopped");
}

void bp_child_init(bp_child *c, const char *cmd, size_t max_line)
{
    memset(c, 0, sizeof *c);
    c->cmd = strdup(cmd);
    c->to_child = c->from_child = -1;
    c->max_line = max_line;
}

static int start(bp_child *c, char *msg, size_t msglen)
{
    int in[2], out[2];
    signal(SIGPIPE, SIG_IGN); /* a dead child is an EPIPE to report, not our death */
    if (pipe(in) || pipe(out)) {
        snprintf(msg, msglen, "cannot create pipes: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, msglen, "cannot fork: %s", strerror(errno));
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0); /* its own group: a hang is killed with everything it started */
        signal(SIGPIPE, SIG_DFL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execl("/bin/sh", "sh", "-c", c->cmd, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    close(in[0]), close(out[1]);
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    fcntl(out[0], F_SETFD, FD_CLOEXEC);
    c->pid = pid, c->to_child = in[1], c->from_child = out[0], c->len = 0;
    return 0;
}

/* Kill the child's process group and reap it; *status gets how it ended. */
static void kill_child(bp_child *c, int *status)
{
    if (c->pid > 0) {
        kill(-c->pid, SIGKILL);
        kill(c->pid, SIGKILL);
        waitpid(c->pid, status, 0);
    }
    if (c->to_child >= 0)
        close(c->to_child);
    if (c->from_child >= 0)
        close(c->from_child);
    c->pid = 0, c->to_child = c->from_child = -1, c->len = 0;
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
        c->pid = 0;
    } else {
        snprintf(how, len, "closed its output but kept running (it was killed)");
    }
    kill_child(c, &status);
}

bp_child_status bp_child_send(bp_child *c, const char *line, size_t len, char *msg, size_t msglen)
{
    if (c->pid == 0 && start(c, msg, msglen))
        return CHILD_ERROR;
    const char *p = line;
    size_t left = len;
    int nl = 0;
    while (left > 0 || !nl) {
        const char *chunk = left > 0 ? p : "\n";
        size_t n = left > 0 ? left : 1;
        ssize_t w = write(c->to_child, chunk, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            char how[256];
            reap(c, how, sizeof how);
            snprintf(msg, msglen, "the implementation stopped reading its input: it %s", how);
            return CHILD_EXITED;
        }
        if (left > 0)
            p += w, left -= (size_t)w;
        else
            nl = 1;
    }
    return CHILD_OK;
}

bp_child_status bp_child_recv(bp_child *c, char **line, double timeout, char *msg, size_t msglen)
{
    *line = NULL;
    if (c->pid == 0) {
        snprintf(msg, msglen, "the implementation is not running");
        return CHILD_ERROR;
    }
    double until = now() + timeout;
    for (;;) {
        char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            *line = malloc(n + 1);
            if (!*line) {
                snprintf(msg, msglen, "out of memory for a %zu-byte answer", n);
                return CHILD_ERROR;
            }
            memcpy(*line, c->buf, n);
            (*line)[n] = '\0';
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return CHILD_OK;
        }
        if (c->len > c->max_line) {
            int status;
            kill_child(c, &status);
            snprintf(msg, msglen, "the answer is longer than %zu bytes without a newline (the "
                     "implementation was killed)", c->max_line);
            return CHILD_TOO_LONG;
        }
        double left = until - now();
        struct pollfd pfd = {c->from_child, POLLIN, 0};
        int r = left > 0 ? poll(&pfd, 1, (int)(left * 1000) + 1) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            int status;
            kill_child(c, &status);
            snprintf(msg, msglen, "no answer within %g s (the implementation was killed)",
                     timeout);
            return CHILD_TIMEOUT;
        }
        if (c->cap - c->len < 65536) {
            size_t cap = c->cap ? 2 * c->cap : 131072;
            char *b = realloc(c->buf, cap);
            if (!b) {
                snprintf(msg, msglen, "out of memory reading the answer");
                return CHILD_ERROR;
            }
            c->buf = b, c->cap = cap;
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
        c->len += (size_t)n;
    }
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
    while ((r = waitpid(c->pid, &status, WNOHANG)) == 0 && now() < until) {
        struct timespec t = {0, 5000000};
        nanosleep(&t, NULL);
    }
    if (r == c->pid)
        c->pid = 0; /* reaped: nothing left to kill */
    kill_child(c, &status);
}

void bp_child_free(bp_child *c)
{
    bp_child_stop(c);
    free(c->cmd);
    free(c->buf);
    memset(c, 0, sizeof *c);
}
