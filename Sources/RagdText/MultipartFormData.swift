/// A parser for `multipart/form-data` request bodies (RFC 7578 over RFC 2046 §5.1).
///
/// Binary-safe: part bodies are returned byte for byte. Delimiters are CRLF `--boundary`
/// lines as the RFCs require; bare LF line ends are tolerated, as hand-made clients send
/// them. The preamble before the first delimiter and the epilogue after the closing one
/// are ignored. Every malformed input ends in a `TextError`, never a trap.
public enum MultipartFormData {
    /// Bounds that keep a hostile body from costing more than its size.
    public struct Limits: Sendable {
        /// Most parts accepted. Default: 64.
        public var maxParts: Int = 64
        /// Largest header block of one part, in bytes. Default: 8 KiB.
        public var maxHeaderBytes: Int = 8 << 10

        /// Creates limits with the defaults documented on each property.
        public init(maxParts: Int = 64, maxHeaderBytes: Int = 8 << 10) {
            self.maxParts = maxParts
            self.maxHeaderBytes = maxHeaderBytes
        }
    }

    /// The boundary of a `multipart/form-data` content type (quoted or not).
    ///
    /// - Throws: `.unsupportedMediaType` for another media type, `.malformedMultipart`
    ///   for a missing or invalid boundary (RFC 2046: 1 to 70 characters, no trailing space).
    public static func boundary(fromContentType contentType: String) throws(TextError) -> String {
        guard let mediaType = MediaType(parsing: contentType) else {
            throw TextError(.malformedMultipart, "Content-Type cannot be parsed")
        }
        guard mediaType.essence == "multipart/form-data" else {
            throw TextError(.unsupportedMediaType, "expected multipart/form-data, got \(DocumentExtractor.printable(mediaType.essence))")
        }
        guard let boundary = mediaType.parameters["boundary"] else {
            throw TextError(.malformedMultipart, "multipart/form-data Content-Type has no boundary parameter")
        }
        guard (1...70).contains(boundary.utf8.count), boundary.utf8.last != 32,
              boundary.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) else {
            throw TextError(.malformedMultipart, "multipart boundary must be 1 to 70 printable ASCII characters not ending in a space")
        }
        return boundary
    }

    /// Parses `body` sent with `contentType` (`multipart/form-data; boundary=...`).
    public static func parse(_ body: [UInt8], contentType: String, limits: Limits = Limits()) throws(TextError) -> [MultipartPart] {
        try parse(body, boundary: boundary(fromContentType: contentType), limits: limits)
    }

    /// Parses `body` delimited by `boundary`.
    ///
    /// - Throws: `.malformedMultipart` (no delimiter, missing closing delimiter, a part
    ///   without headers end or without `Content-Disposition: form-data; name=...`),
    ///   `.limitExceeded` (too many parts, a header block too large).
    public static func parse(_ body: [UInt8], boundary: String, limits: Limits = Limits()) throws(TextError) -> [MultipartPart] {
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [MultipartPart] = []
        guard var cursor = nextDelimiter(in: body, delimiter: delimiter, from: 0, atStart: true) else {
            throw TextError(.malformedMultipart, "multipart body contains no boundary delimiter")
        }
        while true {
            switch cursor.kind {
            case .close:
                guard !parts.isEmpty else {
                    throw TextError(.malformedMultipart, "multipart body has no parts", byteOffset: cursor.delimiterStart)
                }
                return parts
            case .open:
                break
            }
            guard parts.count < limits.maxParts else {
                throw TextError(.limitExceeded, "multipart body has more than \(limits.maxParts) parts", byteOffset: cursor.delimiterStart)
            }
            let (headers, contentStart) = try parseHeaders(body, from: cursor.contentStart, limits: limits)
            guard let next = nextDelimiter(in: body, delimiter: delimiter, from: contentStart, atStart: false) else {
                throw TextError(.malformedMultipart, "multipart body ends without the closing boundary delimiter", byteOffset: body.count)
            }
            // The line break before a delimiter belongs to the delimiter, not the content.
            var contentEnd = next.delimiterStart
            if contentEnd > contentStart && body[contentEnd - 1] == 10 { contentEnd -= 1 }
            if contentEnd > contentStart && body[contentEnd - 1] == 13 { contentEnd -= 1 }
            parts.append(try makePart(headers: headers, body: Array(body[contentStart..<max(contentStart, contentEnd)]),
                                      offset: cursor.contentStart))
            cursor = next
        }
    }

    // MARK: - Delimiters

    private struct Delimiter {
        enum Kind { case open, close }
        var kind: Kind
        /// Where `--boundary` starts.
        var delimiterStart: Int
        /// After the delimiter line (for `.open`).
        var contentStart: Int
    }

    /// The next delimiter line at or after `from`: `--boundary` at the start of the body
    /// (for the first one) or right after a line feed, followed by `--` (close) or optional
    /// spaces and a line end (open). Text that merely starts like a delimiter is content.
    private static func nextDelimiter(in body: [UInt8], delimiter: [UInt8], from: Int, atStart: Bool) -> Delimiter? {
        let count = body.count, length = delimiter.count
        var i = from
        while i + length <= count {
            let lineStart = (i == 0 && atStart) || (i > 0 && body[i - 1] == 10)
            if lineStart && body[i] == delimiter[0] && matches(body, at: i, delimiter) {
                var k = i + length
                if k + 2 <= count, body[k] == UInt8(ascii: "-"), body[k + 1] == UInt8(ascii: "-") {
                    return Delimiter(kind: .close, delimiterStart: i, contentStart: count)
                }
                while k < count && (body[k] == 32 || body[k] == 9) { k += 1 }
                if k < count && body[k] == 10 {
                    return Delimiter(kind: .open, delimiterStart: i, contentStart: k + 1)
                }
                if k + 1 < count && body[k] == 13 && body[k + 1] == 10 {
                    return Delimiter(kind: .open, delimiterStart: i, contentStart: k + 2)
                }
            }
            // Delimiters only start lines: jump to the next line feed.
            guard let newline = firstIndex(of: 10, in: body, from: i) else { return nil }
            i = newline + 1
        }
        return nil
    }

    private static func matches(_ body: [UInt8], at start: Int, _ pattern: [UInt8]) -> Bool {
        guard start + pattern.count <= body.count else { return false }
        for k in 0..<pattern.count where body[start + k] != pattern[k] { return false }
        return true
    }

    private static func firstIndex(of byte: UInt8, in body: [UInt8], from: Int) -> Int? {
        var i = from
        while i < body.count {
            if body[i] == byte { return i }
            i += 1
        }
        return nil
    }

    // MARK: - Part headers

    /// Header fields from `start` up to the empty line; returns them and where content starts.
    private static func parseHeaders(_ body: [UInt8], from start: Int, limits: Limits) throws(TextError)
        -> ([(name: String, value: String)], Int) {
        var headers: [(name: String, value: String)] = []
        var lineStart = start
        while true {
            guard lineStart - start <= limits.maxHeaderBytes else {
                throw TextError(.limitExceeded, "multipart part headers exceed \(limits.maxHeaderBytes) bytes", byteOffset: start)
            }
            guard let newline = firstIndex(of: 10, in: body, from: lineStart),
                  newline - start <= limits.maxHeaderBytes + 1 else {
                if body.count - start > limits.maxHeaderBytes {
                    throw TextError(.limitExceeded, "multipart part headers exceed \(limits.maxHeaderBytes) bytes", byteOffset: start)
                }
                throw TextError(.malformedMultipart, "multipart part headers are not terminated by an empty line", byteOffset: start)
            }
            var lineEnd = newline
            if lineEnd > lineStart && body[lineEnd - 1] == 13 { lineEnd -= 1 }
            if lineEnd == lineStart { return (headers, newline + 1) }
            let line = body[lineStart..<lineEnd]
            if line.first == 32 || line.first == 9 {
                // Obsolete line folding: the line continues the previous field's value.
                guard !headers.isEmpty else {
                    throw TextError(.malformedMultipart, "multipart part header starts with a continuation line", byteOffset: lineStart)
                }
                headers[headers.count - 1].value += " " + trimmed(String(decoding: line, as: UTF8.self))
            } else {
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                      line[line.startIndex..<colon].allSatisfy(HeaderScanner.isTokenByte) else {
                    throw TextError(.malformedMultipart, "multipart part has a malformed header line", byteOffset: lineStart)
                }
                let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
                let value = trimmed(String(decoding: line[(colon + 1)...], as: UTF8.self))
                headers.append((name, value))
            }
            lineStart = newline + 1
        }
    }

    private static func makePart(headers: [(name: String, value: String)], body: [UInt8], offset: Int) throws(TextError) -> MultipartPart {
        guard let disposition = headers.first(where: { $0.name.lowercased() == "content-disposition" })?.value else {
            throw TextError(.malformedMultipart, "multipart part has no Content-Disposition header", byteOffset: offset)
        }
        guard let parsed = MediaType.parseDisposition(disposition), parsed.type == "form-data" else {
            throw TextError(.malformedMultipart, "multipart part's Content-Disposition is not form-data", byteOffset: offset)
        }
        guard let name = parsed.parameters["name"] else {
            throw TextError(.malformedMultipart, "multipart part's Content-Disposition has no name", byteOffset: offset)
        }
        var filename = parsed.parameters["filename*"].flatMap(decodeExtendedValue) ?? parsed.parameters["filename"]
        if let raw = filename {
            // Keep only the last path component: a name is not a path to trust.
            let base = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
            filename = base
        }
        let contentType = headers.first(where: { $0.name.lowercased() == "content-type" })?.value
        return MultipartPart(name: name, filename: filename, contentType: contentType, headers: headers, body: body)
    }

    /// RFC 8187 `charset'language'percent-encoded` (UTF-8 only); nil when it is not that.
    static func decodeExtendedValue(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        var bytes: [UInt8] = []
        var iterator = pieces[2].utf8.makeIterator()
        while let b = iterator.next() {
            if b == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(b)
            }
        }
        guard UTF8Text.firstInvalidOffset(bytes) == nil else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func trimmed(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
