/// A secret string (a key, a token, a password) that prints as `********` everywhere:
/// `description`, `debugDescription`, string interpolation, `dump` and `Mirror`.
/// Call `reveal()` at the one place the real value is needed (an HTTP header, a connect call).
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// What a secret looks like when shown: `********` (fixed length, so it says nothing about
    /// the secret's length).
    public static let mask = "********"

    private let value: String

    /// Wraps a secret value.
    public init(_ value: String) {
        self.value = value
    }

    /// The secret itself. Never log or print it.
    public func reveal() -> String { value }

    /// Number of Unicode code points (what Python's `len` counts), safe to report.
    public var count: Int { value.unicodeScalars.count }

    public var description: String { Self.mask }
    public var debugDescription: String { "Secret(\(Self.mask))" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
