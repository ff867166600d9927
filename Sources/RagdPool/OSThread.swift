import CRagdShim
#if canImport(Glibc)
import Glibc
#endif

/// A plain pthread. Workers serve on OS threads (one request per thread at a time), the
/// FastCGI model libfcgi is built for; no Swift-concurrency executor is involved.
struct OSThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    let handle: pthread_t

    /// Starts `body` on a new thread named `name` (at most 15 bytes are kept by Linux).
    static func start(name: String, _ body: @escaping () -> Void) throws -> OSThread {
        let box = Unmanaged.passRetained(Box {
            CRagdShim_set_thread_name(String(name.prefix(15)))
            body()
        }).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw PoolError(.capacity, "pthread_create failed: \(String(cString: strerror(rc)))")
        }
        return OSThread(handle: handle)
    }

    func join() {
        _ = pthread_join(handle, nil)
    }
}
