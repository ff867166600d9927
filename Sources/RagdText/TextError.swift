import RagdCore

/// An error from reading, decoding or parsing a document. The message describes the
/// input's problem (a byte offset, a missing boundary) and never quotes request content
/// beyond short, printable names such as a media type.
public struct TextError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, ErrorCode {
        /// The bytes are not well-formed UTF-8; `byteOffset` says where (HTTP 400).
        case invalidUTF8
        /// The media type is not one ragd can turn into text (HTTP 415).
        case unsupportedMediaType
        /// A text media type with a charset other than UTF-8 (or its subset US-ASCII) (HTTP 415).
        case unsupportedCharset
        /// A `multipart/form-data` body or its `Content-Type` cannot be parsed (HTTP 400).
        case malformedMultipart
        /// A configured limit (parts, header size) was passed (HTTP 413).
        case limitExceeded
        /// A PDF or Word file that cannot be turned into text: encrypted, corrupt,
        /// truncated, empty, without a text layer, a decompression bomb, or too slow to
        /// parse; the message says which (HTTP 422).
        case unreadableDocument
        /// The server could not run its PDF or Word reader (a tool missing, no temporary
        /// directory): not the file's fault (HTTP 500).
        case extractorFailed
        /// A caller passed an unusable setting, e.g. a chunk overlap not below the size.
        case invalidArgument
    }

    /// The kind of failure.
    public var code: Code
    /// What is wrong, in one line.
    public var message: String
    /// For `.invalidUTF8`: the offset of the first byte of the first invalid sequence.
    /// For multipart errors: roughly where parsing stopped. Otherwise nil.
    public var byteOffset: Int?

    /// Creates an error; `message` must not contain request content or secrets.
    public init(_ code: Code, _ message: String, byteOffset: Int? = nil) {
        self.code = code
        self.message = message
        self.byteOffset = byteOffset
    }

    /// One line for logs and problem details: the code and the message.
    public var description: String { "\(code): \(message)" }
}
