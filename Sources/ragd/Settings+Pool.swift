import Logging
import RagdApp
import RagdConfig
import RagdCore
import RagdFastCGI
import RagdPool

extension Settings {
    /// The pool's view of the settings.
    var poolConfiguration: PoolConfiguration {
        var pool = PoolConfiguration()
        pool.workers = workers
        pool.threads = threads
        pool.gracefulTimeout = gracefulTimeout.inSeconds
        pool.workerTimeout = workerTimeout.inSeconds
        pool.requestTimeout = requestTimeout?.inSeconds ?? 0
        pool.maxRequests = maxRequests
        pool.maxRequestsJitter = maxRequestsJitter
        pool.maxBodyBytes = maxBodyBytes
        pool.metricsEnabled = metricsEnabled
        return pool
    }

    var poolGeneration: PoolGeneration {
        let settings = self
        return PoolGeneration(configuration: poolConfiguration) { pool in
            try RagdApplication.makeResponder(settings: settings, pool: pool)
        }
    }

    var fastCGIAddress: FastCGIAddress {
        switch fcgiListen {
        case .unix(let path): return .unix(path: path)
        case .tcp(let host, let port): return .tcp(host: host, port: port)
        }
    }

    var loggerLevel: Logger.Level {
        Logger.Level(rawValue: logLevel.rawValue) ?? .info
    }
}
