#define _GNU_SOURCE
#include "CRagdShim.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int CRagdShim_WIFEXITED(int status) { return WIFEXITED(status); }
int CRagdShim_WEXITSTATUS(int status) { return WEXITSTATUS(status); }
int CRagdShim_WIFSIGNALED(int status) { return WIFSIGNALED(status); }
int CRagdShim_WTERMSIG(int status) { return WTERMSIG(status); }

uint64_t CRagdShim_atomic_load_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
void CRagdShim_atomic_store_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
uint64_t CRagdShim_atomic_fetch_add_u64(uint64_t *p, uint64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
int CRagdShim_atomic_cas_u64(uint64_t *p, uint64_t expected, uint64_t desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

// The self-pipe trick: a handler may only do async-signal-safe work, so it writes the
// signal number into a pipe that the owner's poll() loop reads. No logging here.
static int signal_pipe[2] = {-1, -1};

static void queue_signal(int sig) {
    int saved = errno;
    unsigned char byte = (unsigned char)sig;
    if (signal_pipe[1] >= 0) {
        ssize_t ignored = write(signal_pipe[1], &byte, 1);
        (void)ignored; // a full pipe already holds a wake-up; dropping is fine
    }
    errno = saved;
}

int CRagdShim_signal_queue_open(void) {
    if (signal_pipe[0] >= 0) return signal_pipe[0];
    if (pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
    return signal_pipe[0];
}

void CRagdShim_signal_queue_close(void) {
    if (signal_pipe[0] >= 0) close(signal_pipe[0]);
    if (signal_pipe[1] >= 0) close(signal_pipe[1]);
    signal_pipe[0] = signal_pipe[1] = -1;
}

int CRagdShim_signal_queue_watch(int sig, int restart) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = queue_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = restart ? SA_RESTART : 0;
    if (sigaction(sig, &sa, NULL) != 0) return -1;
    // A parent (a test runner, a container runtime) may have left the signal blocked;
    // a blocked signal is never delivered, so the handler alone is not enough.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int CRagdShim_signal_default(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) return -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int CRagdShim_signal_ignore(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

int CRagdShim_set_parent_death_signal(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }

void CRagdShim_set_thread_name(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }

int CRagdShim_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int CRagdShim_curl_setopt_long(void *handle, int option, long value) {
    return (int)curl_easy_setopt((CURL *)handle, (CURLoption)option, value);
}
int CRagdShim_curl_setopt_pointer(void *handle, int option, const void *value) {
    return (int)curl_easy_setopt((CURL *)handle, (CURLoption)option, value);
}
int CRagdShim_curl_setopt_write_function(void *handle,
    size_t (*fn)(char *ptr, size_t size, size_t nmemb, void *userdata)) {
    return (int)curl_easy_setopt((CURL *)handle, CURLOPT_WRITEFUNCTION, fn);
}
int CRagdShim_curl_setopt_header_function(void *handle,
    size_t (*fn)(char *ptr, size_t size, size_t nmemb, void *userdata)) {
    return (int)curl_easy_setopt((CURL *)handle, CURLOPT_HEADERFUNCTION, fn);
}
int CRagdShim_curl_setopt_read_function(void *handle,
    size_t (*fn)(char *ptr, size_t size, size_t nmemb, void *userdata)) {
    return (int)curl_easy_setopt((CURL *)handle, CURLOPT_READFUNCTION, fn);
}
int CRagdShim_curl_setopt_xferinfo_function(void *handle,
    int (*fn)(void *userdata, int64_t dltotal, int64_t dlnow, int64_t ultotal, int64_t ulnow)) {
    return (int)curl_easy_setopt((CURL *)handle, CURLOPT_XFERINFOFUNCTION,
                                 (curl_xferinfo_callback)fn);
}
int CRagdShim_curl_getinfo_long(void *handle, int info, long *out) {
    return (int)curl_easy_getinfo((CURL *)handle, (CURLINFO)info, out);
}
int CRagdShim_curl_getinfo_double(void *handle, int info, double *out) {
    return (int)curl_easy_getinfo((CURL *)handle, (CURLINFO)info, out);
}
