import RagdEmbedding
import RagdMilvus
import RagdStore

/// A failure of ingestion or retrieval, with what the API should answer.
public struct PipelineError: Error, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let name: String
        /// A dependency is down or refused the connection: 503.
        public static let unavailable = Code(name: "unavailable")
        /// A dependency did not answer in time: 504.
        public static let timeout = Code(name: "timeout")
        /// A dependency answered with an error or nonsense: 502.
        public static let badGateway = Code(name: "bad_gateway")
        /// The same content is being ingested by another request: 409.
        public static let conflict = Code(name: "conflict")
        /// The input cannot be ingested (e.g. no text): 422.
        public static let invalidInput = Code(name: "invalid_input")
        public var description: String { name }
    }

    public let code: Code
    /// Which dependency: `database`, `vector_store`, `embedding`, or nil.
    public let dependency: String?
    /// Safe to show to the client: no internals, no credentials.
    public let message: String
    /// For the log only: the failing library's own error text (e.g. PostgreSQL's message),
    /// or nil when `message` says it all.
    public let cause: String?

    public init(_ code: Code, dependency: String? = nil, _ message: String, cause: String? = nil) {
        self.code = code
        self.dependency = dependency
        self.message = message
        self.cause = cause
    }

    public var description: String {
        "\(code)\(dependency.map { " (\($0))" } ?? ""): \(message)" + (cause.map { " (cause: \($0))" } ?? "")
    }

    /// Classifies any failure of the pipeline's dependencies; unknown errors become 502.
    public static func from(_ error: Error) -> PipelineError {
        switch error {
        case let error as PipelineError:
            return error
        case let error as StoreError:
            return PipelineError(error.code == .unavailable ? .unavailable : .badGateway, dependency: "database",
                                 error.code == .unavailable ? "PostgreSQL is unavailable" : "PostgreSQL failed",
                                 cause: error.description)
        case let error as MilvusError:
            switch error.code {
            case .timeout:
                return PipelineError(.timeout, dependency: "vector_store", "Milvus did not answer in time", cause: error.description)
            case .unavailable:
                return PipelineError(.unavailable, dependency: "vector_store", "Milvus is unavailable", cause: error.description)
            default:
                return PipelineError(.badGateway, dependency: "vector_store", "Milvus refused the request", cause: error.description)
            }
        case let error as EmbeddingError:
            switch error.code {
            case .timeout:
                return PipelineError(.timeout, dependency: "embedding", "the embedding service did not answer in time",
                                     cause: error.description)
            case .unavailable, .rateLimited:
                return PipelineError(.unavailable, dependency: "embedding", "the embedding service is unavailable (\(error.code))",
                                     cause: error.description)
            case .rejected, .invalidResponse, .invalidConfiguration:
                return PipelineError(.badGateway, dependency: "embedding", "the embedding service failed (\(error.code))",
                                     cause: error.description)
            }
        default:
            return PipelineError(.badGateway, "internal failure", cause: String(describing: error))
        }
    }
}
