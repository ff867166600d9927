// C helpers that Swift cannot express: variadic libcurl calls, wait(2) status macros,
// atomics on memory shared across fork(), and async-signal-safe signal queueing.
// Every symbol is prefixed CRagdShim_.
#ifndef CRAGDSHIM_H
#define CRAGDSHIM_H

#include <stdint.h>
#include <stddef.h>

// MARK: wait(2) status macros
int CRagdShim_WIFEXITED(int status);
int CRagdShim_WEXITSTATUS(int status);
int CRagdShim_WIFSIGNALED(int status);
int CRagdShim_WTERMSIG(int status);

// MARK: atomics on shared memory (sequentially consistent)
uint64_t CRagdShim_atomic_load_u64(const uint64_t *p);
void CRagdShim_atomic_store_u64(uint64_t *p, uint64_t v);
uint64_t CRagdShim_atomic_fetch_add_u64(uint64_t *p, uint64_t v);
int CRagdShim_atomic_cas_u64(uint64_t *p, uint64_t expected, uint64_t desired);

// MARK: signals
/// Creates the self-pipe once; returns its read end (non-blocking, close-on-exec) or -1.
int CRagdShim_signal_queue_open(void);
/// Routes `sig` into the self-pipe (one byte per delivery). `restart` sets SA_RESTART.
int CRagdShim_signal_queue_watch(int sig, int restart);
/// Closes the self-pipe, e.g. in a child that must not share the parent's queue.
void CRagdShim_signal_queue_close(void);
/// Restores the default disposition of `sig` and unblocks it.
int CRagdShim_signal_default(int sig);
/// Ignores `sig`.
int CRagdShim_signal_ignore(int sig);
/// Asks the kernel to send `sig` to this process when its parent dies.
int CRagdShim_set_parent_death_signal(int sig);

/// Names the calling thread (shown by ps/top; at most 15 bytes are kept).
void CRagdShim_set_thread_name(const char *name);

// MARK: child processes
#include <sys/types.h>
/// Starts `path` with `argv` and `envp` through posix_spawn (safe in a multi-threaded
/// process: nothing runs between fork and exec but the spawn's own steps): stdin from
/// /dev/null, stdout and stderr onto the given descriptors, every other descriptor
/// closed, an empty signal mask, every signal at its default action, and a process group
/// of its own (so the caller can kill the child and anything it started with
/// kill(-pid)). Returns 0 and sets `*pid`, or an errno value.
/// pipe2(fds, O_CLOEXEC): glibc declares pipe2 only under _GNU_SOURCE.
int CRagdShim_pipe_cloexec(int fds[2]);
int CRagdShim_spawn_isolated(const char *path, char *const argv[], char *const envp[],
                             int stdout_fd, int stderr_fd, pid_t *pid);

// MARK: sockets
/// accept4(fd, NULL, NULL, SOCK_CLOEXEC); glibc only declares accept4 under _GNU_SOURCE.
int CRagdShim_accept_cloexec(int fd);

/// The accept queue of a listening socket, as `ss -l` shows it: `*queued` connections
/// waiting for accept(2) and the `*backlog` limit. Unix sockets are asked through
/// NETLINK_SOCK_DIAG, TCP sockets through TCP_INFO. Returns 0, or -1 if unknown.
int CRagdShim_listen_queue(int fd, uint32_t *queued, uint32_t *backlog);

// MARK: libcurl (handle is a CURL *; option is a CURLoption / CURLINFO value)
int CRagdShim_curl_setopt_long(void *handle, int option, long value);
int CRagdShim_curl_setopt_pointer(void *handle, int option, const void *value);
int CRagdShim_curl_setopt_write_function(void *handle,
    size_t (*fn)(char *ptr, size_t size, size_t nmemb, void *userdata));
int CRagdShim_curl_setopt_header_function(void *handle,
    size_t (*fn)(char *ptr, size_t size, size_t nmemb, void *userdata));
int CRagdShim_curl_setopt_read_function(void *handle,
    size_t (*fn)(char *ptr, size_t size, size_t nmemb, void *userdata));
int CRagdShim_curl_setopt_xferinfo_function(void *handle,
    int (*fn)(void *userdata, int64_t dltotal, int64_t dlnow, int64_t ultotal, int64_t ulnow));
int CRagdShim_curl_getinfo_long(void *handle, int info, long *out);
int CRagdShim_curl_getinfo_double(void *handle, int info, double *out);

#endif
