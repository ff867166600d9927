#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waiting on libpq's socket with a deadline. libpq's blocking calls wait without a bound
/// (and `connect_timeout` is whole seconds, minimum 2), so every wait that must be bounded
/// goes through here instead.
enum SocketWait {
    enum Outcome { case ready, timedOut, failed(Int32) }

    /// Waits until `fd` is readable (`forWrite == false`) or writable, or `deadline`
    /// passes. `nil` waits without a bound. Retries `EINTR` with the remaining time.
    static func wait(fd: Int32, forWrite: Bool, until deadline: ContinuousClock.Instant?) -> Outcome {
        while true {
            var timeoutMs: Int32 = -1
            if let deadline {
                let remaining = deadline - .now
                if remaining <= .zero { return .timedOut }
                timeoutMs = remaining.roundedUpMilliseconds
            }
            var pfd = pollfd(fd: fd, events: Int16(forWrite ? POLLOUT : POLLIN), revents: 0)
            let rc = poll(&pfd, 1, timeoutMs)
            if rc > 0 { return .ready } // POLLERR/POLLHUP too: libpq reads the error itself
            if rc == 0 { continue } // re-check the deadline; poll may wake a little early
            if errno == EINTR { continue }
            return .failed(errno)
        }
    }

    /// True when an idle connection's socket has something to read: on a connection with
    /// no query in flight that means the server sent a termination notice or closed it.
    static func hasPendingInput(fd: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let rc = poll(&pfd, 1, 0)
            if rc >= 0 { return rc > 0 }
            if errno != EINTR { return true } // cannot tell: treat as suspect, caller checks
        }
    }
}

extension Duration {
    /// Milliseconds rounded up, clamped to `Int32` for `poll()`; at least 1 when positive.
    var roundedUpMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: max(ms, 0))
    }
}
