/// A request handler. Throw a `Problem` to answer with it; any other error becomes a 500.
public typealias Handler = @Sendable (Request) throws -> Response

/// Routes on path *templates* such as `/v1/documents/{id}`. The template, never the raw
/// path, is what metrics and logs label a request with, so their cardinality stays bounded.
public struct Router: Sendable {
    /// The result of looking a request up.
    public enum Match {
        case found(template: String, parameters: [String: String], handler: Handler)
        case notFound
        /// The path exists but not for this method; `allowed` is what the `Allow` header lists.
        case methodNotAllowed(template: String, allowed: [String])
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private struct Route: Sendable {
        var template: String
        var segments: [Segment]
        var handlers: [String: Handler]
    }

    private var routes: [Route] = []
    /// Routes without parameters by their template (with its leading "/"): such a route
    /// matches exactly the paths equal to it, and it is always the best match there (no
    /// route has more literal segments), so a lookup replaces the scan for them.
    private var literalRoutes: [String: Int] = [:]

    public init() {}

    /// Registers `handler` for `method` on `template`. A `{name}` segment matches one
    /// non-empty path segment and is passed percent-decoded as `pathParameters[name]`.
    /// Registering the same method and template twice is a programming error.
    public mutating func add(_ method: String, _ template: String, _ handler: @escaping Handler) {
        let segments = Self.split(template).map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(part)
        }
        let method = method.uppercased()
        if let index = routes.firstIndex(where: { $0.template == template }) {
            precondition(routes[index].handlers[method] == nil, "duplicate route \(method) \(template)")
            routes[index].handlers[method] = handler
        } else {
            routes.append(Route(template: template, segments: segments, handlers: [method: handler]))
            if !segments.contains(where: { if case .parameter = $0 { true } else { false } }) {
                literalRoutes[Self.literalKey(template)] = routes.count - 1
            }
        }
    }

    /// Every (method, template) registered, in registration order: what an API contract
    /// is checked against.
    public var routeTable: [(method: String, template: String)] {
        routes.flatMap { route in route.handlers.keys.sorted().map { (method: $0, template: route.template) } }
    }

    public mutating func get(_ template: String, _ handler: @escaping Handler) { add("GET", template, handler) }
    public mutating func post(_ template: String, _ handler: @escaping Handler) { add("POST", template, handler) }
    public mutating func delete(_ template: String, _ handler: @escaping Handler) { add("DELETE", template, handler) }

    /// Finds the route for `method` and the raw `path`. Literal segments win over
    /// parameters (`/v1/documents/search` beats `/v1/documents/{id}`). `HEAD` falls back
    /// to `GET` (the transport drops the body).
    public func match(method: String, path: String) -> Match {
        if let index = literalRoutes[Self.literalKey(path)] {
            return Self.match(method: method, route: routes[index], parameters: [:])
        }
        let parts = Self.splitPath(path)
        var best: (route: Route, parameters: [String: String], literals: Int)?
        for route in routes where route.segments.count == parts.count {
            var parameters: [String: String] = [:]
            var literals = 0
            var matched = true
            for (segment, part) in zip(route.segments, parts) {
                switch segment {
                case .literal(let text):
                    if text != part { matched = false } else { literals += 1 }
                case .parameter(let name):
                    if part.isEmpty { matched = false } else { parameters[name] = PercentDecoding.decode(String(part)) }
                }
                if !matched { break }
            }
            if matched && (best == nil || literals > best!.literals) {
                best = (route, parameters, literals)
            }
        }
        guard let best else { return .notFound }
        return Self.match(method: method, route: best.route, parameters: best.parameters)
    }

    /// The handler of `route` for `method`, or the methods it allows.
    private static func match(method: String, route: Route, parameters: [String: String]) -> Match {
        let method = upperCased(method)
        if let handler = route.handlers[method] ?? (method == "HEAD" ? route.handlers["GET"] : nil) {
            return .found(template: route.template, parameters: parameters, handler: handler)
        }
        var allowed = Set(route.handlers.keys)
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(template: route.template, allowed: allowed.sorted())
    }

    /// What a path without parameters is matched by: the same segments as `splitPath`
    /// sees, i.e. the text with one leading "/" (added when missing).
    private static func literalKey(_ path: String) -> String {
        startsWithSlash(path) ? path : "/" + path
    }

    /// `path.hasPrefix("/")` without its Unicode machinery when the answer is plain: a
    /// "/" followed by an ASCII byte (or nothing) is a "/" character of its own (only a
    /// non-ASCII scalar, a combining mark, can join it into another one).
    private static func startsWithSlash(_ path: String) -> Bool {
        var bytes = path.utf8.makeIterator()
        guard bytes.next() == UInt8(ascii: "/") else { return path.hasPrefix("/") }
        guard let second = bytes.next(), second >= 0x80 else { return true }
        return path.hasPrefix("/")
    }

    /// `method.uppercased()`, skipped when it is upper-case ASCII already (the transport
    /// upper-cases it).
    private static func upperCased(_ method: String) -> String {
        method.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) } ? method : method.uppercased()
    }

    /// `split` without copying each segment: matching runs on every request.
    private static func splitPath(_ path: String) -> [Substring] {
        var trimmed = Substring(path)
        if trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        if trimmed.isEmpty { return [] }
        return trimmed.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// `/a/b/` -> ["a", "b", ""]: a trailing slash is a different path, as in most APIs.
    private static func split(_ path: String) -> [String] {
        var trimmed = Substring(path)
        if trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        if trimmed.isEmpty { return [] }
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    }
}
