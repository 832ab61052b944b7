#ifndef SYNSCOPE_CSYSTEM_SHIM_H
#define SYNSCOPE_CSYSTEM_SHIM_H
// What Swift's Glibc module leaves out because it is built without _GNU_SOURCE
// (see shared/SWIFT-LINUX-NOTES.md). No _GNU_SOURCE here: it would clash with Glibc's module map.
#include <linux/sched.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <signal.h>
#include <string.h>
#include <time.h>

/// unshare(2).
extern int unshare(int flags);

/// The calling thread's id, gettid(2).
static inline pid_t synscope_gettid(void) { return (pid_t)syscall(SYS_gettid); }

/// A POSIX timer that sends `signo` to thread `tid` alone (timer_create(2), SIGEV_THREAD_ID):
/// how a step's timeout interrupts that thread's blocking call.
static inline int synscope_thread_timer(int signo, pid_t tid, timer_t *timer) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = signo;
    ev._sigev_un._tid = tid;
    return timer_create(CLOCK_MONOTONIC, &ev, timer);
}

static inline void synscope_ignore_signal(int signo) { (void)signo; }

/// Installs a handler that does nothing, without SA_RESTART (signal(7)): a blocking
/// socket call the signal interrupts then fails with EINTR instead of restarting.
static inline int synscope_interrupting_handler(int signo) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = synscope_ignore_signal;
    sigemptyset(&action.sa_mask);
    return sigaction(signo, &action, NULL);
}

/// CLONE_NEWNET as a plain int (the macro is imported, but this keeps call sites simple).
static inline int synscope_clone_newnet(void) { return CLONE_NEWNET; }

#include <sys/prctl.h>
#include <errno.h>

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants of a traced command are
/// re-parented to synscope, so that none outlives the run (prctl(2)).
static inline int synscope_set_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

/// fork(2) a child that waits for one byte (or EOF) on `gate` before execve(2)ing
/// `path`; until then it can be added to a tracing instance's set_event_pid, so
/// that its very first system call is traced. In the child only async-signal-safe
/// calls run (signal-safety(7)): the signal mask is emptied, SIGINT/SIGTERM/SIGPIPE/
/// SIGUSR1/SIGUSR2 go back to their defaults, and an execve failure is written as
/// an int to `report` (close-on-exec, so EOF there means the exec happened).
static inline pid_t synscope_spawn_gated(const char *path, char *const argv[], char *const envp[],
                                         int gate, int gate_writer, int report) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int defaults[] = { SIGINT, SIGTERM, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD };
    for (unsigned i = 0; i < sizeof defaults / sizeof defaults[0]; i++) signal(defaults[i], SIG_DFL);
    close(gate_writer);
    char byte;
    while (read(gate, &byte, 1) < 0 && errno == EINTR) {}
    close(gate);
    // synscope's own descriptors (the capture socket, tracefs files) are not passed on:
    // close_range(2) CLOSE_RANGE_CLOEXEC (4) on everything above stderr.
    syscall(SYS_close_range, 3U, ~0U, 4U);
    execve(path, argv, envp);
    int e = errno;
    (void)!write(report, &e, sizeof e);
    _exit(127);
}
#endif
