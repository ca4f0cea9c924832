/* testsuite/conform/child.h: one long-lived child process, spoken to in lines (PROTOCOL.md): started
 * with /bin/sh -c CMD (or exec'd directly, bp_child_exec) in a process group of its own, written to line by line, read from with a
 * time limit and a size limit. A crash, a hang, an early exit or an oversized answer is a
 * status with a message naming it, never a crash or a hang of the caller's. */
#ifndef BPCHECK_CHILD_H
#define BPCHECK_CHILD_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
    char *cmd;
    char *exec_path;    /* set (bp_child_exec): this program with exec_arg, exec'd without sh */
    char *exec_arg;
    int prestarted;     /* started by bp_child_prestart, its first request not yet sent */
    pid_t pid;          /* 0 when not running */
    pid_t pgid;         /* its process group, killed whole even after pid has exited (a
                           background process it started may hold the pipes); 0: none */
    int to_child, from_child;
    char *buf;          /* bytes read but not yet returned */
    size_t len, cap;
    size_t scanned;     /* buf[0 .. scanned) holds no newline: a read scans only new bytes */
    size_t max_line;    /* a longer line is refused */
    double send_timeout; /* seconds a write may wait for the child to read (60 by default) */
    double deadline;    /* when set (bp_child_deadline), no write or read waits past it */
    double deadline_len; /* its length in seconds, for the messages */
    int start_failed;   /* the last start could not make the pipes or fork: we failed, not it */
    int oom;            /* the last read ran out of memory: we failed, not it */
    int from_err;       /* the child's stderr: passed on to ours as it comes, its end kept */
    char err_tail[4096]; /* the last bytes the child wrote to stderr since it started */
    size_t err_len;
    int exit_status;    /* how it last ended: its exit status, 128 + N for signal N, -1 unknown */
    size_t answers;     /* lines read from the child in all its starts: 0, it never answered */
    char first_bytes[160]; /* the first bytes it wrote to stdout since it started */
    size_t first_len;
} bp_child;

typedef enum {
    CHILD_OK,        /* a line was read */
    CHILD_TIMEOUT,   /* no full line within the time limit (the child is killed) */
    CHILD_EXITED,    /* the child closed its output or exited (the message says how) */
    CHILD_TOO_LONG,  /* a line over max_line bytes (the child is killed) */
    CHILD_ERROR      /* the child could not be started or written to */
} bp_child_status;

/* Prepare (does not start: the first send starts it). */
void bp_child_init(bp_child *c, const char *cmd, size_t max_line);
/* Start c as the program at path with the one argument arg, exec'd directly rather than
 * through /bin/sh -c (cmd stays its name in messages): the runner's own 'bpcheck serve', a
 * shell and its fork the less (about 1 ms a start). 0, or -1 out of memory. */
int bp_child_exec(bp_child *c, const char *path, const char *arg);
/* Start c now rather than at its first send (which then finds it running): its start-up
 * overlaps the caller's own work. A failure is not said here: the first send tries again and
 * says it. */
void bp_child_prestart(bp_child *c);
/* Send one line (a newline is added), starting the child if it is not running. */
bp_child_status bp_child_send(bp_child *c, const char *line, size_t len, char *msg, size_t msglen);
/* Send len bytes as they are (a binary frame's payload; no newline added). */
bp_child_status bp_child_send_raw(bp_child *c, const void *data, size_t len, char *msg, size_t msglen);
/* Read one line (without its newline) into *line (the caller frees) within timeout seconds. */
bp_child_status bp_child_recv(bp_child *c, char **line, double timeout, char *msg, size_t msglen);
/* Read exactly len bytes (a payload) into dst within timeout seconds. A child that stops
 * short is CHILD_EXITED, with how many bytes came. */
bp_child_status bp_child_recv_raw(bp_child *c, void *dst, size_t len, double timeout, char *msg,
                                  size_t msglen);
/* The last n lines (at most) the child wrote to stderr since it last started, into buf; ""
 * when there are none. Whatever the child wrote is passed on to the caller's stderr too. */
void bp_child_stderr_tail(const bp_child *c, size_t n, char *buf, size_t len);
/* The first bytes the child wrote to stdout since it last started, printable: control
 * characters as \n, \t or \xNN, into buf. */
void bp_child_first_bytes(const bp_child *c, char *buf, size_t len);
/* From now on, every write and read ends within seconds from now: one deadline for the whole
 * exchange of a case (request, computation, answer); 0 clears it. */
void bp_child_deadline(bp_child *c, double seconds);
/* Kill the child now (its stream is out of step: a payload that cannot be read). */
void bp_child_kill(bp_child *c);
/* From now on, SIGTERM, SIGINT and SIGHUP kill the process group of every child running,
 * then end the caller by that signal as they would have: a cancelled CI job leaves no
 * implementation behind. */
void bp_child_kill_on_signals(void);
/* While on (a run is going), the first of those signals kills the children and is noted, not
 * fatal: the run then reports what it ran and the cases it did not, and ends by that signal
 * itself (bp_child_interrupted); a second signal ends it at once. */
void bp_child_graceful(int on);
/* The signal that interrupted the run, or 0. */
int bp_child_interrupted(void);
/* Stop the child (close its input, wait briefly, then kill its process group). */
void bp_child_stop(bp_child *c);
void bp_child_free(bp_child *c);

#endif
