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
#endif
