/// One part of a `multipart/form-data` body: a form field or an uploaded file.
public struct MultipartPart: Sendable {
    /// The field name (`Content-Disposition: form-data; name="..."`).
    public var name: String
    /// The uploaded file's name without any directory part (browsers on Windows once sent
    /// full paths), from `filename*` (RFC 5987) or `filename`; nil for plain fields.
    public var filename: String?
    /// The part's `Content-Type` value as sent, or nil (RFC 7578 then means `text/plain`).
    public var contentType: String?
    /// Every header field of the part in order, names as sent.
    public var headers: [(name: String, value: String)]
    /// The content, byte for byte.
    public var body: [UInt8]

    /// Creates a part.
    public init(name: String, filename: String? = nil, contentType: String? = nil,
                headers: [(name: String, value: String)] = [], body: [UInt8]) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// The first value of the header called `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first(where: { $0.name.lowercased() == lowered })?.value
    }
}
