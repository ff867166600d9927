import CCurl

/// Process-wide libcurl initialisation (`curl_global_init`).
///
/// Call `initialize()` in each worker after `fork()`, before its threads start (the
/// `HTTPClient` initialiser also calls it, so this is only needed to surface a failure
/// early). It runs `curl_global_init` once per process image; later calls, from any
/// thread, only return the first call's outcome. If the master already ran it before
/// forking, the child inherits an initialised libcurl, which is safe: libcurl keeps no
/// threads or open descriptors from global init. Never share an easy handle across fork.
public enum CurlGlobal {
    /// Swift runs a `static let` initialiser exactly once, thread-safely.
    private static let status: Int = {
        let CURL_GLOBAL_ALL = 3 // CURL_GLOBAL_SSL | CURL_GLOBAL_WIN32: a macro Swift cannot import
        return Int(curl_global_init(CURL_GLOBAL_ALL).rawValue)
    }()

    /// Initialises libcurl for this process once; throws if that failed.
    public static func initialize() throws(HTTPClientError) {
        if status != 0 {
            let reason = String(cString: curl_easy_strerror(CURLcode(rawValue: UInt32(status))))
            throw HTTPClientError(.other, "curl_global_init failed: \(reason)", curlCode: status)
        }
    }

    /// The libcurl version string, for logs and `/status`.
    public static var version: String { String(cString: curl_version()) }
}
