import Logging
import RagdHTTP
import RagdText

/// The HTTP answer for a body or file that could not be read as a document: the client's
/// to fix (400/415/422), except a reader that cannot run here (500, logged).
enum TextProblems {
    static func problem(_ error: TextError) -> Problem {
        switch error.code {
        case .unsupportedMediaType, .unsupportedCharset:
            return Problem(status: 415, code: "unsupported-media-type", title: "Unsupported Media Type", detail: error.message)
        case .invalidUTF8:
            return Problem.badRequest(error.message)
        case .unreadableDocument:
            return Problem(status: 422, code: "unreadable-document", title: "Unprocessable Content", detail: error.message)
        case .extractorFailed:
            // The cause (a tool missing, no temporary directory) is the operator's to see.
            Logger(label: "ragd.extract").error("document reader failed", metadata: ["error": .string(error.message)])
            return Problem(status: 500, code: "extractor-failed", title: "Internal Server Error",
                           detail: "The document reader could not run on this server.")
        default:
            return Problem(status: 400, code: "malformed-body", title: "Bad Request", detail: error.message)
        }
    }

    static func problem(_ error: Error) -> Problem {
        (error as? TextError).map(problem) ?? Problem.badRequest("The body could not be read.")
    }
}
