import ArgumentParser
import RagdAuth
import RagdConfig

/// `ragd token`: mints an access token signed with `SECRET_KEY`, for operators and scripts
/// (`TOKEN=$(ragd token --tenant acme --scope query)`). Only the token goes to stdout.
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a signed access token (HS256 JWT with SECRET_KEY) for the /v1 API.")

    @Option(help: "The tenant the token is for: 1-64 characters of A-Z a-z 0-9 . _ -")
    var tenant: String

    @Option(help: "Space-separated scopes, e.g. \"documents:read documents:write query\". Known: \(AuthScope.known.sorted().joined(separator: ", ")).")
    var scope: String

    @Option(help: "Lifetime in seconds, 1 to \(TokenIssuer.ttlRange.upperBound) (366 days).")
    var ttl: Int = 3600

    @Option(help: "The token's subject (who it identifies).")
    var subject: String = TokenIssuer.defaultSubject

    /// The scopes as given, without empty entries from repeated spaces.
    private var scopes: [String] { scope.split(separator: " ").map(String.init) }

    // Argument problems are caught here, before the configuration (and its secret) is read.
    func validate() throws {
        guard TokenIssuer.ttlRange.contains(ttl) else {
            throw ValidationError("--ttl must be between 1 and \(TokenIssuer.ttlRange.upperBound) seconds (366 days).")
        }
        guard ClaimRules.isValidTenant(tenant) else {
            throw ValidationError("--tenant must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
        guard ClaimRules.isValidSubject(subject) else {
            throw ValidationError("--subject must be 1-256 bytes without control characters.")
        }
        guard !scopes.isEmpty else { throw ValidationError("--scope needs at least one scope.") }
        for scope in scopes where !AuthScope.known.contains(scope) {
            throw ValidationError("unknown scope '\(scope)'; known: \(AuthScope.known.sorted().joined(separator: " ")).")
        }
    }

    func run() throws {
        let settings = try loadSettingsOrExit()
        do {
            print(try TokenIssuer(secret: settings.secretKey.reveal())
                .mint(subject: subject, tenant: tenant, scopes: scopes, ttl: ttl))
        } catch {
            printError("token: \(error.message)")
            throw ExitCode(1)
        }
    }
}
