/// The minimum log level (`LOG_LEVEL`). The raw values are swift-log's `Logger.Level` raw
/// values, so `Logger.Level(rawValue: settings.logLevel.rawValue)` always succeeds.
public enum LogLevel: String, Sendable, CaseIterable, CustomStringConvertible {
    case trace, debug, info, notice, warning, error, critical

    public var description: String { rawValue }
}
