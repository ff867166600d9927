import Logging

/// One `error` line for every 5xx ragd answers, so that no server fault leaves only its
/// request line: the request id, route, status, the dependency at fault, what the client
/// was told, and the library's own error text (`Problem.cause`, never sent to clients).
public enum ServerFaultLog {
    static let logger = Logger(label: "ragd.fault")

    public static func record(_ problem: Problem, requestID: String, method: String, route: String?) {
        guard problem.status >= 500 else { return }
        var metadata: Logger.Metadata = [
            "request_id": .string(requestID), "method": .string(method), "route": .string(route ?? "unmatched"),
            "status": .stringConvertible(problem.status), "problem": .string(problem.type),
        ]
        if let detail = problem.detail { metadata["detail"] = .string(detail) }
        if let cause = problem.cause { metadata["cause"] = .string(String(cause.prefix(2000))) }
        if let dependency = problem.extensions.first(where: { $0.0 == "dependency" })?.1 {
            metadata["dependency"] = .string(dependency.trimmingCharacters(in: ["\""]))
        }
        logger.error("request failed", metadata: metadata)
    }
}
