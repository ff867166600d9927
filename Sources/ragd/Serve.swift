import ArgumentParser
import Logging
import RagdApp
import RagdConfig
import RagdFastCGI
import RagdLog
import RagdMetrics
import RagdPool
import RagdText
#if canImport(Glibc)
import Glibc
#endif

/// `ragd serve`: the master. Binds, forks the workers, supervises until stopped.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the preforked FastCGI pool (the master never serves requests itself).")

    func run() throws {
        let settings: Settings
        do {
            settings = try Settings.loadFromProcess()
        } catch {
            RagdLogging.bootstrap(level: .info)
            reportConfigurationProblems(error, logger: Logger(label: "ragd.config"))
            throw ExitCode(2)
        }
        RagdLogging.bootstrap(level: settings.loggerLevel)
        let logger = Logger(label: "ragd.master")

        if settings.migrateOnStart {
            do {
                let result = try migrateDatabase(settings)
                logger.info("database migrations", metadata: ["applied": .array(result.applied.map { .stringConvertible($0) })])
                if result.documentsLackingKeywordIndex > 0 {
                    logger.warning("documents lack keyword terms of the current tokenizer; run `ragd reindex --keyword-only`", metadata: [
                        "documents": .stringConvertible(result.documentsLackingKeywordIndex),
                        "tokenizer_version": .stringConvertible(SearchTokenizer.version),
                    ])
                }
            } catch {
                logger.critical("database migrations failed", metadata: ["error": .string(String(describing: error))])
                throw ExitCode(1)
            }
        }

        let listener: FastCGIListener
        do {
            let owner = try settings.fcgiSocketOwner.map(resolveOwner)
            listener = try FastCGIListener.bind(settings.fastCGIAddress, backlog: Int32(settings.backlog),
                                                mode: mode_t(settings.fcgiSocketMode), owner: owner)
        } catch {
            logger.critical("cannot listen", metadata: ["listen": .string(settings.fcgiListen.description),
                                                       "error": .string(String(describing: error))])
            throw ExitCode(1)
        }

        // Room for every worker twice over (a reload runs both generations for a moment)
        // plus what TTIN may add; THREADS may grow on reload up to the thread capacity.
        let scoreboard = try Scoreboard(slotCount: max(64, settings.workers * 4),
                                        threadCapacity: max(64, settings.threads))
        // One cell set per slot plus the master's; created before fork so all share it.
        let metrics = try MetricsStore(families: MetricCatalog.all, writers: scoreboard.slotCount + 1)
        logger.info("starting ragd", metadata: [
            "version": .string(RagdVersion.current), "environment": .string(settings.environment.rawValue),
            "env_file": .string(settings.envFilePath ?? "(none)"),
        ])
        let boundAddress = settings.fcgiListen
        let arbiter = Arbiter(listener: listener, scoreboard: scoreboard, metrics: metrics, initial: settings.poolGeneration, load: {
            let next = try Settings.loadFromProcess()
            RagdLogging.level = next.loggerLevel
            if next.fcgiListen != boundAddress {
                logger.warning("FCGI_LISTEN changed; the listener is kept until a restart", metadata: [
                    "listen": .string(boundAddress.description), "configured": .string(next.fcgiListen.description),
                ])
            }
            return next.poolGeneration
        })
        let status = try arbiter.run()
        if status != 0 { throw ExitCode(status) }
    }
}

/// One log line per problem, each naming the variable.
func reportConfigurationProblems(_ error: Error, logger: Logger) {
    if let error = error as? ConfigurationError {
        for problem in error.problems {
            logger.error("invalid configuration", metadata: ["variable": .string(problem.key), "problem": .string(problem.description)])
        }
    } else {
        logger.error("invalid configuration", metadata: ["problem": .string(String(describing: error))])
    }
}

/// `user[:group]` names or ids to numeric ids.
func resolveOwner(_ owner: SocketOwner) throws -> (uid: uid_t, gid: gid_t) {
    var uid = getuid(), gid = getgid()
    if let user = owner.user {
        if let number = uid_t(user) {
            uid = number
        } else if let entry = getpwnam(user) {
            uid = entry.pointee.pw_uid
            gid = entry.pointee.pw_gid
        } else {
            throw ValidationError("FCGI_SOCKET_OWNER: no user named \(user)")
        }
    }
    if let group = owner.group {
        if let number = gid_t(group) {
            gid = number
        } else if let entry = getgrnam(group) {
            gid = entry.pointee.gr_gid
        } else {
            throw ValidationError("FCGI_SOCKET_OWNER: no group named \(group)")
        }
    }
    return (uid, gid)
}
