/// Where this instance runs (`ENVIRONMENT`). Production turns on the strict checks:
/// `SECRET_KEY` of at least 32 characters, no test routes.
public enum DeploymentEnvironment: String, Sendable, CaseIterable, CustomStringConvertible {
    case development, staging, production, test

    public var description: String { rawValue }
}
