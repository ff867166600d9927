#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `error` member of an OpenAI-style answer: an object with message, type and code
/// (code is a string at OpenAI, a number at some others), or a bare string. Chat streams
/// carry it in band too.
public struct ProviderErrorObject: Decodable, Sendable {
    /// The provider's human-readable message, when it sent one.
    public var message: String?
    /// OpenAI's `type`, e.g. `invalid_request_error`.
    public var type: String?
    /// OpenAI's `code`, e.g. `rate_limit_exceeded`.
    public var code: String?

    private enum CodingKeys: String, CodingKey { case message, type, code }

    /// Creates an error object, e.g. from the text of an SSE `error` event.
    public init(message: String?, type: String? = nil, code: String? = nil) {
        self.message = message
        self.type = type
        self.code = code
    }

    public init(from decoder: Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            message = text
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try? container.decodeIfPresent(String.self, forKey: .message)
        type = try? container.decodeIfPresent(String.self, forKey: .type)
        if let text = try? container.decodeIfPresent(String.self, forKey: .code) {
            code = text
        } else if let number = try? container.decodeIfPresent(Int.self, forKey: .code) {
            code = String(number)
        }
    }
}

/// The body of a non-2xx answer: OpenAI's `{"error": {...}}`, or `message` / `detail` at
/// other servers. Every field is optional and tolerant: FastAPI's `detail` may be a list
/// (then it is skipped), and a missing message must not hide the status.
struct ProviderErrorBody: Decodable {
    var error: ProviderErrorObject?
    var message: String?
    var detail: String?

    private enum CodingKeys: String, CodingKey { case error, message, detail }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        error = try? container.decodeIfPresent(ProviderErrorObject.self, forKey: .error)
        message = try? container.decodeIfPresent(String.self, forKey: .message)
        detail = try? container.decodeIfPresent(String.self, forKey: .detail)
    }

    /// The provider's message from an error body, or nil.
    static func message(from bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty, let body = try? JSONDecoder().decode(ProviderErrorBody.self, from: Data(bytes)) else { return nil }
        return body.error?.message ?? body.message ?? body.detail
    }
}
