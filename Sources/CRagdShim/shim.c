#define _GNU_SOURCE
#include "CRagdShim.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/wait.h>
#include <unistd.h>

int CRagdShim_WIFEXITED(int status) { return WIFEXITED(status); }
int CRagdShim_WEXITSTATUS(int status) { return WEXITSTATUS(status); }
int CRagdShim_WIFSIGNALED(int status) { return WIFSIGNALED(status); }
int CRagdShim_WTERMSIG(int status) { return WTERMSIG(status); }

int CRagdShim_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int CRagdShim_spawn_isolated(const char *path, char *const argv[], char *const envp[],
                             int stdout_fd, int stderr_fd, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawnattr_init(&attributes);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return rc;
    }
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    // The worker's sockets, its PostgreSQL connections and the listening socket must not
    // leak into a parser fed with hostile input, close-on-exec or not.
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    // Workers ignore SIGPIPE and others; ignored dispositions survive exec, so reset all.
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attributes, &none);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attributes, &all);
    if (rc == 0) rc = posix_spawnattr_setpgroup(&attributes, 0);
    if (rc == 0) rc = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    if (rc == 0) rc = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

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

static int unix_listen_queue(ino_t inode, uint32_t *queued, uint32_t *backlog) {
    int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0) return -1;
    struct {
        struct nlmsghdr header;
        struct unix_diag_req request;
    } message;
    memset(&message, 0, sizeof message);
    message.header.nlmsg_len = sizeof message;
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST;
    message.request.sdiag_family = AF_UNIX;
    message.request.udiag_states = -1;
    message.request.udiag_ino = (unsigned int)inode;
    message.request.udiag_show = UDIAG_SHOW_RQLEN;
    message.request.udiag_cookie[0] = (unsigned int)-1;
    message.request.udiag_cookie[1] = (unsigned int)-1;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(nl, &message, sizeof message, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        close(nl);
        return -1;
    }
    long buffer[1024];
    ssize_t n = recv(nl, buffer, sizeof buffer, 0);
    close(nl);
    if (n <= 0) return -1;
    struct nlmsghdr *header = (struct nlmsghdr *)buffer;
    if (!NLMSG_OK(header, (size_t)n) || header->nlmsg_type != SOCK_DIAG_BY_FAMILY) return -1;
    struct unix_diag_msg *reply = NLMSG_DATA(header);
    int length = header->nlmsg_len - NLMSG_LENGTH(sizeof *reply);
    struct rtattr *attribute = (struct rtattr *)(reply + 1);
    while (RTA_OK(attribute, length)) {
        if (attribute->rta_type == UNIX_DIAG_RQLEN) {
            struct unix_diag_rqlen *rqlen = RTA_DATA(attribute);
            *queued = rqlen->udiag_rqueue;
            *backlog = rqlen->udiag_wqueue;
            return 0;
        }
        attribute = RTA_NEXT(attribute, length);
    }
    return -1;
}

int CRagdShim_listen_queue(int fd, uint32_t *queued, uint32_t *backlog) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    if (address.ss_family == AF_UNIX) {
        struct stat status;
        if (fstat(fd, &status) != 0) return -1;
        return unix_listen_queue(status.st_ino, queued, backlog);
    }
    struct tcp_info info;
    socklen_t size = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return -1;
    // For a listening TCP socket the kernel reports the accept queue in these two fields.
    *queued = info.tcpi_unacked;
    *backlog = info.tcpi_sacked;
    return 0;
}

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
