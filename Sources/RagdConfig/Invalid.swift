/// Why a value was refused: a message without the variable name, never holding a secret.
/// Internal plumbing between the value checks and `SettingsReader`.
struct Invalid: Error, ExpressibleByStringInterpolation {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    init(stringLiteral value: String) {
        message = value
    }

    init(stringInterpolation: DefaultStringInterpolation) {
        message = String(stringInterpolation: stringInterpolation)
    }
}
