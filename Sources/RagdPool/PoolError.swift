/// A failure of the process pool itself (not of a request).
public struct PoolError: Error, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        fileprivate let name: String
        public static let sharedMemory = Code(name: "shared memory")
        public static let fork = Code(name: "fork")
        public static let signals = Code(name: "signals")
        public static let capacity = Code(name: "capacity")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }
}
