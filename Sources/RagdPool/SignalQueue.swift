import CRagdShim
#if canImport(Glibc)
import Glibc
#endif

/// Signals delivered as bytes on a pipe (the self-pipe trick), so the master's and each
/// worker's main loop handle them in ordinary code, never inside a signal handler.
struct SignalQueue {
    let fd: Int32

    /// Opens the queue and routes `signals` into it. SA_RESTART is set so other system
    /// calls are not disturbed; the loop's poll() still wakes up on the pipe.
    static func open(watching signals: [Int32]) throws -> SignalQueue {
        let fd = CRagdShim_signal_queue_open()
        guard fd >= 0 else { throw PoolError(.signals, "cannot create the signal pipe") }
        for signal in signals where CRagdShim_signal_queue_watch(signal, 1) != 0 {
            throw PoolError(.signals, "cannot install a handler for signal \(signal)")
        }
        return SignalQueue(fd: fd)
    }

    /// Waits up to `timeout` seconds for a signal; returns every signal queued so far, in order.
    func wait(timeout: Double) -> [Int32] {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&pfd, 1, Int32(max(0, timeout * 1000)))
        return drain()
    }

    func drain() -> [Int32] {
        var signals: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            signals += buffer[0..<n].map { Int32($0) }
        }
        return signals
    }

    /// In a freshly forked child: forget the parent's queue and handlers.
    static func resetInChild(_ signals: [Int32]) {
        CRagdShim_signal_queue_close()
        for signal in signals { _ = CRagdShim_signal_default(signal) }
    }
}

/// Human names for the signals ragd handles, for logs.
func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGTERM: return "TERM"
    case SIGINT: return "INT"
    case SIGQUIT: return "QUIT"
    case SIGHUP: return "HUP"
    case SIGTTIN: return "TTIN"
    case SIGTTOU: return "TTOU"
    case SIGCHLD: return "CHLD"
    case SIGKILL: return "KILL"
    case SIGSEGV: return "SEGV"
    case SIGABRT: return "ABRT"
    case SIGILL: return "ILL"
    case SIGBUS: return "BUS"
    case SIGTRAP: return "TRAP"
    default: return "SIG\(signal)"
    }
}
