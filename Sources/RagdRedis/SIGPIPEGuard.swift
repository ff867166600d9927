#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with SIGPIPE blocked on this thread and swallows a SIGPIPE that `body`
/// caused. hiredis writes with plain `write(2)`, so a server that closed the connection
/// would otherwise kill the whole worker with SIGPIPE unless the process ignores it.
/// This is libpq's approach (pq_block_sigpipe/pq_reset_sigpipe): it touches only the
/// calling thread's mask and never consumes a SIGPIPE that was pending before.
func withSIGPIPEBlocked<R>(_ body: () -> R) -> R {
    #if os(Linux)
    var pipeOnly = sigset_t()
    sigemptyset(&pipeOnly)
    sigaddset(&pipeOnly, SIGPIPE)
    var previous = sigset_t()
    guard pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous) == 0 else { return body() }
    if sigismember(&previous, SIGPIPE) == 1 {
        // Already blocked by the caller: leave pending signals to them.
        return body()
    }
    var pending = sigset_t()
    sigpending(&pending)
    let wasPending = sigismember(&pending, SIGPIPE) == 1

    let result = body()

    if !wasPending {
        sigemptyset(&pending)
        sigpending(&pending)
        if sigismember(&pending, SIGPIPE) == 1 {
            var zero = timespec(tv_sec: 0, tv_nsec: 0)
            var savedErrno = errno
            _ = sigtimedwait(&pipeOnly, nil, &zero)
            swap(&savedErrno, &errno)
        }
    }
    pthread_sigmask(SIG_SETMASK, &previous, nil)
    return result
    #else
    return body()
    #endif
}
