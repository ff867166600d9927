/// One provider endpoint as every provider client describes it: the URL requests go to,
/// a name for messages (kind and host only) and the API key, which only the
/// `Authorization` header ever sees.
public struct ProviderEndpoint: Sendable {
    /// The full URL requests go to.
    public let url: String
    /// "LLM at host[:port]", "reranker at host[:port]"...: user info, path and query are
    /// left out, since they may carry credentials.
    public let name: String
    private let apiKey: String?

    /// - Parameters:
    ///   - kind: what the endpoint is, for messages ("LLM", "embedding API", "reranker").
    ///   - apiKey: sent as `Authorization: Bearer ...`; nil or empty sends none.
    /// - Throws: `.invalidConfiguration` unless `url` is an `http://` or `https://` URL
    ///   with a host.
    public init(url: String, kind: String, apiKey: String?) throws(ProviderError) {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ProviderError(.invalidConfiguration, "\(kind) URL must start with http:// or https://")
        }
        let host = Self.host(of: url)
        guard !host.isEmpty else { throw ProviderError(.invalidConfiguration, "\(kind) URL has no host") }
        self.url = url
        self.name = "\(kind) at \(host)"
        self.apiKey = (apiKey?.isEmpty ?? true) ? nil : apiKey
    }

    /// Request headers: JSON, and the bearer key when there is one.
    public func headers(accept: String) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", accept)]
        if let apiKey { headers.append(("Authorization", "Bearer " + apiKey)) }
        return headers
    }

    /// `host[:port]` of an absolute URL, without user info.
    public static func host(of url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return "" }
        let rest = url[schemeEnd.upperBound...]
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<end]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        return String(authority)
    }

    /// ": <provider message>", scrubbed of the API key, printable and short; "" for none.
    public func detail(_ providerMessage: String?) -> String {
        guard var text = providerMessage else { return "" }
        if let apiKey { text = text.replacing(apiKey, with: "***") }
        let printable = String(text.unicodeScalars.prefix(200).map { $0.value >= 32 && $0.value != 127 ? Character($0) : " " })
        return printable.isEmpty ? "" : ": " + printable
    }

    /// A libcurl failure reworded with the endpoint's name. libcurl's own message is
    /// already free of user info and query (`HTTPClientError` redacts them), but the key
    /// is scrubbed once more, as for provider messages.
    func transportMessage(_ message: String) -> String {
        var text = message
        if let apiKey { text = text.replacing(apiKey, with: "***") }
        return "\(name): \(text)"
    }
}
