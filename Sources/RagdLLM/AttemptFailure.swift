/// A failed attempt: the error to report if it is the last, and whether to retry.
struct AttemptFailure: Error {
    var error: LLMError
    var retryable: Bool
    var retryAfter: Double?

    init(_ error: LLMError, retryable: Bool, retryAfter: Double? = nil) {
        self.error = error
        self.retryable = retryable
        self.retryAfter = retryAfter
    }
}
