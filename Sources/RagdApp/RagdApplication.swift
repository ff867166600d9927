import RagdConfig
import RagdCore
import RagdHTTP
import RagdPool

/// Assembles a worker's request handling from the settings.
public enum RagdApplication {
    /// Builds the responder. Runs in each worker after fork, so whatever it opens (backend
    /// connections) belongs to that worker alone. Throws when the worker cannot boot.
    public static func makeResponder(settings: Settings, pool: PoolView) throws -> Responder {
        try validateForWorkers(settings: settings)
        var router = Router()
        PoolRoutes.register(on: &router, pool: pool)
        HealthRoutes.register(on: &router, readiness: Readiness(checks: readinessChecks(settings), timeout: settings.healthCheckTimeout.inSeconds))
        if settings.enableTestRoutes {
            TestRoutes.register(on: &router)
        }
        return Responder(router: router)
    }

    /// Checks that need the backend libraries (e.g. libpq's reading of DATABASE_URL); run
    /// at worker boot and by `ragd check-config`.
    public static func validateForWorkers(settings: Settings) throws {
    }

    static func readinessChecks(_ settings: Settings) -> [Readiness.Check] {
        []
    }
}
