/// State of one transfer, reached from libcurl's C callbacks through the user-data
/// pointer. Lives only for one `curl_easy_perform` on the calling thread.
final class Transfer {
    var status = 0
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    /// Set when a caller's callback said stop, so CURLE_WRITE_ERROR or
    /// CURLE_ABORTED_BY_CALLBACK is reported as `.aborted`.
    var aborted = false
    /// Set when `body` would pass `limit`.
    var exceeded = false

    let limit: Int
    let onResponse: ((HTTPClientResponseHead) -> Bool)?
    let onChunk: ((UnsafeRawBufferPointer) -> Bool)?
    let shouldContinue: (() -> Bool)?
    private var headDelivered = false

    init(
        limit: Int,
        onResponse: ((HTTPClientResponseHead) -> Bool)? = nil,
        onChunk: ((UnsafeRawBufferPointer) -> Bool)? = nil,
        shouldContinue: (() -> Bool)? = nil
    ) {
        self.limit = limit
        self.onResponse = onResponse
        self.onChunk = onChunk
        self.shouldContinue = shouldContinue
    }

    var head: HTTPClientResponseHead { HTTPClientResponseHead(status: status, headers: headers) }

    /// One header line, CRLF included. A status line starts a new header block (after
    /// `100 Continue` or an interim response), so only the final block is kept.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        // Strip CR/LF as bytes: in Swift "\r\n" is one Character, so trimming
        // Characters would miss it.
        var bytes = line[...]
        while let last = bytes.last, last == 13 || last == 10 { bytes = bytes.dropLast() }
        let text = Substring(String(decoding: bytes, as: UTF8.self))
        if text.hasPrefix("HTTP/") {
            headers.removeAll()
            let parts = text.split(separator: " ", maxSplits: 2)
            status = parts.count >= 2 ? Int(parts[1]) ?? 0 : 0
        } else if let colon = text.firstIndex(of: ":") {
            let name = String(text[..<colon])
            let value = text[text.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
            var trimmed = value
            while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
            headers.append((name, String(trimmed)))
        }
    }

    /// One piece of body; false stops the transfer.
    func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool {
        if !headDelivered {
            headDelivered = true
            if let onResponse, !onResponse(head) {
                aborted = true
                return false
            }
        }
        if let onChunk {
            if !onChunk(chunk) {
                aborted = true
                return false
            }
            return true
        }
        if body.count + chunk.count > limit {
            exceeded = true
            return false
        }
        body.append(contentsOf: chunk)
        return true
    }

    /// Called by libcurl's progress callback; false stops the transfer.
    func keepGoing() -> Bool {
        if let shouldContinue, !shouldContinue() {
            aborted = true
            return false
        }
        return true
    }

    /// After a transfer with an empty body the response callback has not run yet.
    func deliverHeadIfNeeded() -> Bool {
        if headDelivered { return true }
        headDelivered = true
        if let onResponse, !onResponse(head) {
            aborted = true
            return false
        }
        return true
    }
}
