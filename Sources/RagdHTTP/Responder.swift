import Logging
import RagdCore
import RagdLog

/// Turns a `Request` into a `Response`: middlewares, routing, 404/405, error mapping,
/// `X-Request-ID`; and, once the transport has sent the response, the access log line.
/// Transport-independent, so it is tested in-process without FastCGI.
public final class Responder: Sendable {
    public let router: Router
    /// Run around the router, first one outermost. Default none.
    public let middlewares: [Middleware]
    private let logger: Logger
    /// The logger writes ragd's JSON lines with no metadata of its own: the access log
    /// line is then built directly (`accessLine`), which is the same line for less work.
    private let writesAccessLinesDirectly: Bool

    /// Called after each response is sent (e.g. metrics); default none.
    public let observers: [@Sendable (CompletedRequest) -> Void]

    public init(router: Router, middlewares: [Middleware] = [], logger: Logger = Logger(label: "ragd.http"),
                observers: [@Sendable (CompletedRequest) -> Void] = []) {
        self.router = router
        self.middlewares = middlewares
        self.logger = logger
        writesAccessLinesDirectly = JSONLogHandler.writesPlainLines(for: logger)
        self.observers = observers
    }

    /// Answers `request`; sets `request.route` to the matched template (or nil).
    /// Never throws: every failure becomes a problem response.
    public func respond(to request: inout Request) -> Response {
        // Matched first, so middlewares (and the metrics of a request they refuse) know the route.
        let match = router.match(method: request.method, path: request.path)
        switch match {
        case .found(let template, let parameters, _):
            request.route = template
            request.pathParameters = parameters
        case .methodNotAllowed(let template, _):
            request.route = template
        case .notFound:
            break
        }
        var response = respond(to: &request, match: match, through: middlewares[...])
        response.headers.set("X-Request-ID", request.requestID)
        return response
    }

    /// The first middleware of `remaining` with the rest as its `next`; the route at the end.
    private func respond(to request: inout Request, match: Router.Match,
                         through remaining: ArraySlice<Middleware>) -> Response {
        guard let middleware = remaining.first else { return route(request, match) }
        do {
            return try middleware.respond(to: &request) { request in
                respond(to: &request, match: match, through: remaining.dropFirst())
            }
        } catch {
            return errorResponse(error, request: request)
        }
    }

    private func route(_ request: Request, _ match: Router.Match) -> Response {
        let response: Response
        switch match {
        case .found(_, _, let handler):
            do {
                response = try handler(request)
            } catch {
                response = errorResponse(error, request: request)
            }
        case .notFound:
            response = Problem.notFound("No route matches \(request.path).")
                .response(requestID: request.requestID, instance: request.path)
        case .methodNotAllowed(_, let allowed):
            response = Problem.methodNotAllowed(method: request.method, allowed: allowed)
                .response(requestID: request.requestID, instance: request.path)
        }
        return response
    }

    private func errorResponse(_ error: Error, request: Request) -> Response {
        if let problem = error as? Problem {
            ServerFaultLog.record(problem, requestID: request.requestID, method: request.method, route: request.route)
            return problem.response(requestID: request.requestID, instance: request.path)
        }
        // The error may carry internals; it goes to the log, not to the client.
        logger.error("handler failed", metadata: [
            "request_id": .string(request.requestID), "route": .string(request.route ?? "unmatched"),
            "error": .string(String(describing: error)),
        ])
        return Problem.internalError().response(requestID: request.requestID, instance: request.path)
    }

    /// The answer for a request the transport refused before routing (e.g. body too large).
    public func refuse(_ request: Request, with problem: Problem) -> Response {
        var response = problem.response(requestID: request.requestID, instance: request.path)
        response.headers.set("X-Request-ID", request.requestID)
        return response
    }

    /// Writes the access log line and notifies observers. `route` is the template, or
    /// `unmatched` when no route matched, so labels stay bounded.
    public func finished(_ completed: CompletedRequest) {
        // The JSON handler's level is RagdLogging.level (see JSONLogHandler.logLevel): read
        // it directly rather than through the logger's handler existential.
        if (writesAccessLinesDirectly ? RagdLogging.level : logger.logLevel) <= .info {
            if writesAccessLinesDirectly {
                Self.accessLine(completed, label: logger.label).write()
            } else {
                logger.info("request", metadata: Self.accessMetadata(completed))
            }
        }
        for observer in observers { observer(completed) }
    }

    /// The access log line as the JSON handler writes it for `accessMetadata`, built
    /// without going through swift-log (this runs for every request).
    static func accessLine(_ completed: CompletedRequest, label: String) -> JSONLogLine {
        var line = JSONLogLine(level: .info, label: label, message: "request")
        // In key order, as the handler sorts them.
        line.append("bytes", completed.bytesSent)
        line.append("duration_ms", accessMilliseconds(completed))
        line.append("method", completed.method)
        line.append("request_id", completed.requestID)
        line.append("route", completed.route ?? "unmatched")
        line.append("status", completed.status)
        return line
    }

    /// The access log's fields for any other log handler.
    static func accessMetadata(_ completed: CompletedRequest) -> Logger.Metadata {
        [
            "request_id": .string(completed.requestID),
            "method": .string(completed.method),
            "route": .string(completed.route ?? "unmatched"),
            "status": .stringConvertible(completed.status),
            "duration_ms": .stringConvertible(accessMilliseconds(completed)),
            "bytes": .stringConvertible(completed.bytesSent),
        ]
    }

    /// Milliseconds with microsecond resolution.
    private static func accessMilliseconds(_ completed: CompletedRequest) -> Double {
        (completed.durationSeconds * 1_000_000).rounded() / 1000
    }
}

/// What is known about a request once its response has been sent.
public struct CompletedRequest: Sendable {
    public var requestID: String
    public var method: String
    /// The route template, nil when no route matched.
    public var route: String?
    public var status: Int
    public var durationSeconds: Double
    public var bytesSent: Int
    /// False when the client went away before the response was complete.
    public var completed: Bool

    public init(requestID: String, method: String, route: String?, status: Int,
                durationSeconds: Double, bytesSent: Int, completed: Bool) {
        self.requestID = requestID
        self.method = method
        self.route = route
        self.status = status
        self.durationSeconds = durationSeconds
        self.bytesSent = bytesSent
        self.completed = completed
    }
}
