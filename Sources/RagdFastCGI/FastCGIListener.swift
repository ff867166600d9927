#if canImport(Glibc)
import Glibc
#endif

/// The listening socket, made by the master before it forks, inherited by every worker.
public final class FastCGIListener {
    public let fd: Int32
    public let address: FastCGIAddress

    private init(fd: Int32, address: FastCGIAddress) {
        self.fd = fd
        self.address = address
    }

    /// Binds and listens.
    /// - `backlog`: the kernel accept queue (default 1024; capped by `net.core.somaxconn`).
    /// - `mode`: permissions of a unix socket file (default 0o660), so nginx can connect.
    /// - `owner`: uid/gid to give a unix socket file, or nil to keep ours.
    /// - `acceptTimeout`: how long one `accept` may block (SO_RCVTIMEO, default 0.25 s), which
    ///   is how often an idle accepting thread notices it was asked to stop.
    /// A stale unix socket file (nobody accepting) is replaced; a live one is an error, so two
    /// servers never silently share one path.
    public static func bind(_ address: FastCGIAddress, backlog: Int32 = 1024, mode: mode_t = 0o660,
                            owner: (uid: uid_t, gid: gid_t)? = nil, acceptTimeout: Double = 0.25) throws -> FastCGIListener {
        let fd: Int32
        switch address {
        case .unix(let path):
            fd = try bindUnix(path: path, mode: mode, owner: owner)
        case .tcp(let host, let port):
            fd = try SocketAddress.withTCP(host: host, port: port) { family, sa, len -> Int32? in
                let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { throw SocketError("socket") }
                var one: Int32 = 1
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
                guard Glibc.bind(fd, sa, len) == 0 else {
                    let error = SocketError("bind", detail: address.description)
                    Glibc.close(fd)
                    throw error
                }
                return fd
            }
        }
        guard listen(fd, backlog) == 0 else {
            let error = SocketError("listen")
            Glibc.close(fd)
            throw error
        }
        var timeout = timeval(tv_sec: Int(acceptTimeout), tv_usec: Int((acceptTimeout - Double(Int(acceptTimeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return FastCGIListener(fd: fd, address: address)
    }

    private static func bindUnix(path: String, mode: mode_t, owner: (uid: uid_t, gid: gid_t)?) throws -> Int32 {
        var status = stat()
        if lstat(path, &status) == 0 {
            guard (status.st_mode & S_IFMT) == S_IFSOCK else {
                throw SocketError("bind", code: EEXIST, detail: "\(path) exists and is not a socket")
            }
            if isAccepting(path: path) {
                throw SocketError("bind", code: EADDRINUSE, detail: "another server is accepting on \(path)")
            }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        do {
            try SocketAddress.withUnix(path) { sa, len in
                guard Glibc.bind(fd, sa, len) == 0 else { throw SocketError("bind", detail: path) }
            }
            // bind() applies the umask; the configured mode is what nginx's user needs.
            guard chmod(path, mode) == 0 else { throw SocketError("chmod", detail: path) }
            if let owner, chown(path, owner.uid, owner.gid) != 0 {
                throw SocketError("chown", detail: path)
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// True when something accepts connections on the unix socket at `path`.
    public static func isAccepting(path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        return (try? SocketAddress.withUnix(path) { sa, len in connect(fd, sa, len) == 0 }) ?? false
    }

    /// Closes the socket; the master also removes the unix socket file it created.
    public func close(removeSocketFile: Bool) {
        Glibc.close(fd)
        if removeSocketFile, case .unix(let path) = address {
            unlink(path)
        }
    }
}
