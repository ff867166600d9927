/// A failure of the document store. `code` tells the API layer how to answer.
public struct StoreError: Error, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let name: String
        /// PostgreSQL could not be reached or timed out: 503.
        public static let unavailable = Code(name: "unavailable")
        public static let migration = Code(name: "migration")
        public static let other = Code(name: "other")
        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "store \(code): \(message)" }
}
