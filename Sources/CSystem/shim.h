#ifndef SYNSCOPE_CSYSTEM_SHIM_H
#define SYNSCOPE_CSYSTEM_SHIM_H
// What Swift's Glibc module leaves out because it is built without _GNU_SOURCE
// (see shared/SWIFT-LINUX-NOTES.md). No _GNU_SOURCE here: it would clash with Glibc's module map.
#include <linux/sched.h>
#include <unistd.h>
#include <sys/syscall.h>

/// unshare(2).
extern int unshare(int flags);

/// The calling thread's id, gettid(2).
static inline long synscope_gettid(void) { return syscall(SYS_gettid); }

/// CLONE_NEWNET as a plain int (the macro is imported, but this keeps call sites simple).
static inline int synscope_clone_newnet(void) { return CLONE_NEWNET; }
#endif
