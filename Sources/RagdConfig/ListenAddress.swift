#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the FastCGI listener binds (`FCGI_LISTEN`, default `/run/ragd/ragd.sock`).
///
/// Accepted forms: an absolute path or `unix:PATH` (a unix socket), `HOST:PORT` or
/// `[IPv6]:PORT` (TCP). A TCP host must be loopback (127.0.0.0/8, `::1`, `localhost`):
/// FastCGI has no authentication, so only nginx in the same pod may reach it.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A unix domain socket at `path`.
    case unix(path: String)
    /// A TCP socket on a loopback `host` (an IP literal or `localhost`, IPv6 without brackets).
    case tcp(host: String, port: Int)

    /// `sockaddr_un.sun_path` holds 108 bytes including the terminating NUL on Linux.
    public static let maximumUnixPathBytes = 107

    /// Parses `FCGI_LISTEN`; the failure message says what is wrong and what is expected.
    public static func parse(_ text: String) -> Result<ListenAddress, ListenAddressError> {
        let expected = "expected an absolute path, unix:PATH, or HOST:PORT with a loopback host"
        if text.hasPrefix("unix:") {
            var path = String(text.dropFirst("unix:".count))
            // `unix:///run/x.sock` (URL style) means `/run/x.sock`.
            if path.hasPrefix("//") { path.removeFirst(2) }
            return unixSocket(path)
        }
        if text.hasPrefix("/") {
            return unixSocket(text)
        }
        let host: String
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text[text.index(after: close)...].hasPrefix(":") else {
                return .failure(.init("\(quoted(text)) is not a valid [IPv6]:PORT address (\(expected))"))
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
            guard isIPv6(host) else {
                return .failure(.init("\(quoted(host)) is not an IPv6 address (\(expected))"))
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(.init("\(quoted(text)) is neither a socket path nor HOST:PORT (\(expected))"))
            }
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(.init("\(quoted(text)): an IPv6 host must be written in brackets, e.g. [::1]:9000"))
            }
            if host.isEmpty {
                return .failure(.init("\(quoted(text)) has no host (\(expected))"))
            }
        }
        guard let port = Int(portText), portText.allSatisfy({ $0.isASCII && $0.isNumber }), (1...65535).contains(port) else {
            return .failure(.init("port \(quoted(String(portText))) is not an integer in 1...65535"))
        }
        guard isLoopback(host) else {
            return .failure(.init(
                "host \(quoted(host)) is not a loopback address (expected 127.0.0.0/8, ::1 or localhost; "
                    + "FastCGI must only be reachable from nginx in the same pod)", notAllowed: true))
        }
        return .success(.tcp(host: host, port: port))
    }

    private static func unixSocket(_ path: String) -> Result<ListenAddress, ListenAddressError> {
        guard !path.isEmpty else {
            return .failure(.init("unix: needs a socket path, e.g. unix:/run/ragd/ragd.sock"))
        }
        guard path.utf8.count <= maximumUnixPathBytes else {
            return .failure(.init(
                "socket path is \(path.utf8.count) bytes, longer than the \(maximumUnixPathBytes) a unix socket allows"))
        }
        guard !path.contains("\0") else {
            return .failure(.init("socket path contains a NUL byte"))
        }
        return .success(.unix(path: path))
    }

    /// 127.0.0.0/8, ::1 (any spelling inet_pton accepts) or `localhost`.
    static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            // s_addr is in network byte order: the first octet is the lowest byte in memory.
            return withUnsafeBytes(of: &v4) { $0[0] } == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in
                bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
            }
        }
        return false
    }

    private static func isIPv6(_ host: String) -> Bool {
        var v6 = in6_addr()
        return inet_pton(AF_INET6, host, &v6) == 1
    }

    /// The path, or `HOST:PORT` / `[IPv6]:PORT`.
    public var description: String {
        switch self {
        case .unix(let path): return path
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}

/// Why an `FCGI_LISTEN` value was refused (`notAllowed` for a well-formed non-loopback host).
public struct ListenAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and what is expected.
    public var message: String
    /// True when the address is well-formed but not loopback.
    public var notAllowed: Bool

    init(_ message: String, notAllowed: Bool = false) {
        self.message = message
        self.notAllowed = notAllowed
    }

    public var description: String { message }
}
