/*
 * Bare libfcgi hello-world: the floor cost of the FastCGI transport.
 *
 * Same process model as ragd: the master binds the listening unix socket,
 * forks WORKERS processes and only supervises; every worker runs THREADS
 * threads, each looping on FCGX_Accept_r on the inherited socket and answering
 * GET /health with the same JSON ragd returns. No routing, no parsing beyond
 * what libfcgi does, so whatever ragd costs on top of this is ragd's own.
 *
 * Build: cc -O2 -Wall -o hello hello.c -lfcgi -lpthread
 * Run:   FCGI_LISTEN=/abs/path.sock WORKERS=2 THREADS=4 ./hello
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int listen_fd = -1;
static volatile sig_atomic_t stopping = 0;

static int env_int(const char *name, int fallback) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') return fallback;
    int n = atoi(v);
    return n > 0 ? n : fallback;
}

/* ISO 8601 UTC with microseconds, the shape Python's isoformat() gives. */
static void format_timestamp(char *out, size_t size) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%06ldZ", ts.tv_nsec / 1000);
}

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request req;
    if (FCGX_InitRequest(&req, listen_fd, 0) != 0) return NULL;
    for (;;) {
        /* Linux accept() on one socket is safe from many threads and
         * processes at once, so no accept mutex (libfcgi's threaded.c
         * example locks only for platforms that need it). */
        if (FCGX_Accept_r(&req) < 0) break;
        char stamp[48];
        char body[128];
        format_timestamp(stamp, sizeof stamp);
        int len = snprintf(body, sizeof body,
                           "{\"status\":\"healthy\",\"timestamp\":\"%s\"}", stamp);
        char head[160];
        int hlen = snprintf(head, sizeof head,
                            "Status: 200 OK\r\n"
                            "Content-Type: application/json\r\n"
                            "Content-Length: %d\r\n\r\n", len);
        FCGX_PutStr(head, hlen, req.out);
        FCGX_PutStr(body, len, req.out);
        FCGX_Finish_r(&req);
    }
    return NULL;
}

static void run_worker(int threads) {
    /* A worker must not outlive its master (e.g. master SIGKILLed). */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    for (int i = 1; i < threads; i++) pthread_create(&tids[i], NULL, serve, NULL);
    serve(NULL);
    _exit(0);
}

static void on_stop(int sig) {
    (void)sig;
    stopping = 1;
}

int main(void) {
    const char *path = getenv("FCGI_LISTEN");
    if (path == NULL || path[0] != '/') {
        fprintf(stderr, "hello: FCGI_LISTEN must be an absolute socket path\n");
        return 2;
    }
    int workers = env_int("WORKERS", 2);
    int threads = env_int("THREADS", 4);

    if (FCGX_Init() != 0) return 1;
    unlink(path);
    listen_fd = FCGX_OpenSocket(path, 1024);
    if (listen_fd < 0) {
        fprintf(stderr, "hello: cannot listen on %s: %s\n", path, strerror(errno));
        return 1;
    }
    chmod(path, 0666); /* nginx workers run as nobody */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    pid_t *pids = calloc((size_t)workers, sizeof *pids);
    for (int i = 0; i < workers; i++) {
        pid_t pid = fork();
        if (pid == 0) run_worker(threads);
        if (pid < 0) {
            perror("hello: fork");
            stopping = 1;
            break;
        }
        pids[i] = pid;
    }

    /* The master only waits; a dying worker is not respawned because a
     * benchmark that loses a worker should fail visibly, not heal. */
    while (!stopping) {
        pid_t dead = wait(NULL);
        if (dead < 0 && errno == ECHILD) break;
        if (dead > 0 && !stopping) {
            fprintf(stderr, "hello: worker %d exited unexpectedly\n", (int)dead);
            stopping = 1;
        }
    }
    for (int i = 0; i < workers; i++)
        if (pids[i] > 0) kill(pids[i], SIGTERM);
    while (wait(NULL) > 0 || errno == EINTR) {
    }
    unlink(path);
    return 0;
}
