/// A step around routing: sees every request before the router and every response after
/// the handler, and may answer by itself (a CORS preflight, a rate-limit refusal).
/// Middlewares run in the order given to `Responder`, the first one outermost.
public protocol Middleware: Sendable {
    /// Answers `request`, usually by calling `next` (the remaining middlewares and the
    /// router) and adjusting its response. Throwing a `Problem` answers with it; the
    /// middlewares outside still see that response.
    func respond(to request: inout Request, next: (inout Request) -> Response) throws -> Response
}
