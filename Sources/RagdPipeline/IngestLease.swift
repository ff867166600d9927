#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RagdCore

/// Who owns a pending document: the ingesting process, as "host/pid/start time".
///
/// A worker killed midway leaves its document pending. On the same host its death is
/// known at once (no process with that pid and start time), so a retry of the same
/// content, or any worker's janitor, takes the document over and removes it without
/// waiting; a document of another host (pod) waits for its lease to run out, which its
/// owner renews every few seconds while it lives.
public enum IngestLease {
    /// How long a lease lasts unless renewed.
    public static let seconds = 15
    /// How often each worker renews its leases and looks for abandoned documents.
    public static let janitorInterval = 5.0

    /// This host's name (the pod's, in Kubernetes).
    public static let host: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name.replacingOccurrences(of: "/", with: "_")
    }()

    private static let cache = PThreadMutex()
    nonisolated(unsafe) private static var cached: (pid: pid_t, owner: String)?

    /// The calling process's owner id (computed per process: workers are forked).
    public static func currentOwner() -> String {
        let pid = getpid()
        return cache.withLock {
            if let cached, cached.pid == pid { return cached.owner }
            let owner = "\(host)/\(pid)/\(startTime(of: pid) ?? "0")"
            cached = (pid, owner)
            return owner
        }
    }

    /// True only when `owner` names a process of this host that no longer runs (its pid
    /// is gone, is a zombie not yet reaped, or now belongs to a process started at another
    /// time). Unknown (another host, or not an owner id): false; the lease decides.
    public static func isDead(_ owner: String) -> Bool {
        let parts = owner.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == host, let pid = pid_t(parts[1]), pid > 0 else { return false }
        guard let process = processStat(pid) else { return true }
        return process.state == "Z" || process.state == "X" || process.startTime != parts[2]
    }

    static func startTime(of pid: pid_t) -> String? { processStat(pid)?.startTime }

    /// Fields 3 (state) and 22 (start time, in clock ticks after boot) of /proc/PID/stat:
    /// with the pid, the start time names one process for the life of the machine.
    static func processStat(_ pid: pid_t) -> (state: Substring, startTime: String)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After "pid (comm)" come fields 3...; the command may contain spaces and ')'.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? (fields[0], String(fields[19])) : nil
    }
}
