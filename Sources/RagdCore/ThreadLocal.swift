#if canImport(Glibc)
import Glibc
#endif

/// One value per thread, made on first use by `make`. Serving threads keep their own
/// backend connections this way (libpq, hiredis and curl handles are not shareable).
/// The value is released when its thread exits.
public final class ThreadLocal<Value>: @unchecked Sendable {
    private final class Box {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private var key = pthread_key_t()
    private let make: () throws -> Value

    public init(_ make: @escaping () throws -> Value) {
        self.make = make
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<AnyObject>.fromOpaque(pointer).release() }
        }
    }

    /// This thread's value, made now if it has none yet (a throwing `make` is retried on
    /// the next call).
    public func get() throws -> Value {
        if let raw = pthread_getspecific(key) {
            return (Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as! Box).value
        }
        let box = Box(try make())
        pthread_setspecific(key, Unmanaged.passRetained(box as AnyObject).toOpaque())
        return box.value
    }
}
