/// A failure of `ragd ingest` itself (not of one file): an unusable state file, a bad
/// argument. The message is for the user and never holds the token.
public struct IngestError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
