import Foundation

/// A `multipart/form-data` body (RFC 7578) as `ragd ingest` sends it: form fields and
/// files, CRLF line ends, a random boundary.
struct MultipartBody {
    /// 128 random bits: a file cannot contain it except by chance (2^-128), so the
    /// content is not searched for it.
    let boundary = "ragd-" + (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max)) }.joined()
    private(set) var bytes: [UInt8] = []

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func addField(_ name: String, _ value: String) {
        append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n")
        bytes += Array(value.utf8)
        append("\r\n")
    }

    mutating func addFile(_ name: String, filename: String, contentType: String, content: [UInt8]) {
        append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; \(Self.filenameParameters(filename))\r\n")
        append("Content-Type: \(contentType)\r\n\r\n")
        bytes += content
        append("\r\n")
    }

    /// The closing delimiter; the body is complete after this.
    mutating func finish() {
        append("--\(boundary)--\r\n")
    }

    private mutating func append(_ text: String) { bytes += Array(text.utf8) }

    /// `filename="..."` with an ASCII stand-in, plus RFC 8187 `filename*=UTF-8''...` when
    /// the name is not plain ASCII (ragd reads `filename*` first). Quotes, backslashes and
    /// control characters never reach the header as they are.
    static func filenameParameters(_ filename: String) -> String {
        let plain = filename.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 32 && $0.value != 127 && $0 != "\"" && $0 != "\\" }
        if plain { return "filename=\"\(filename)\"" }
        let fallback = String(filename.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && scalar.value >= 32 && scalar.value != 127 && scalar != "\"" && scalar != "\\" ? Character(scalar) : "_"
        })
        var encoded = ""
        for byte in filename.utf8 {
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || "!#$&+-.^_`|~".utf8.contains(byte)
            encoded += unreserved ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }
        return "filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }
}
