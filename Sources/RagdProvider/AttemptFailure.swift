/// One failed attempt of a provider call: the error to report if it is the last, and
/// whether another attempt may help.
public struct AttemptFailure: Error, Sendable {
    /// The error reported when no attempt is left.
    public var error: ProviderError
    /// Whether the failure is transient (429, 408, 5xx, a failed connection).
    public var retryable: Bool
    /// The provider's `Retry-After`, in seconds, when it sent one.
    public var retryAfter: Double?

    /// Creates a failure of one attempt.
    public init(_ error: ProviderError, retryable: Bool, retryAfter: Double? = nil) {
        self.error = error
        self.retryable = retryable
        self.retryAfter = retryAfter
    }
}
