import Foundation
import RagdCore
#if canImport(Glibc)
import Glibc
#endif

/// What `ragd ingest` remembers about one file for one server and tenant.
public struct FileRecord: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// The server holds the file's document (ingested, or it already had the text).
        case done
        /// Queued as a background job that had not finished when this was written.
        case submitted
    }

    public var path: String
    public var size: Int
    public var modifiedNanoseconds: Int64
    /// Hex SHA-256 of the file's bytes (not the server's key, which is of the text).
    public var sha256: String
    public var status: Status
    public var documentID: String?
    public var jobID: String?
    public var chunks: Int?

    public init(path: String, size: Int, modifiedNanoseconds: Int64, sha256: String, status: Status,
                documentID: String? = nil, jobID: String? = nil, chunks: Int? = nil) {
        self.path = path
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.sha256 = sha256
        self.status = status
        self.documentID = documentID
        self.jobID = jobID
        self.chunks = chunks
    }

    /// Whether `file` is still what this record describes, judged without reading it.
    public func describes(_ file: IngestFile) -> Bool {
        size == file.size && modifiedNanoseconds == file.modifiedNanoseconds
    }
}

/// The resume state of `ragd ingest`: an append-only journal of JSON lines
/// (`.ragd-ingest-state.jsonl` by default), one line per file done or job queued, each
/// tagged with the server and tenant it is true for.
///
/// Append-only, because a run can be stopped at any moment (Ctrl-C, `kill -9`): each
/// line goes out in one `write(2)` as soon as its file is done, so everything done
/// before a kill is remembered, and a line cut short by a crash is skipped when read.
/// The last line for a path wins. A run that ends normally rewrites the file with only
/// those last lines (to a temporary file, renamed over the old one), so it does not grow
/// with every run.
public final class IngestState: @unchecked Sendable {
    public let path: String
    /// `URL tenant`: a file ingested into one server or tenant is not done for another.
    public let target: String
    private var records: [String: FileRecord] = [:]
    /// Lines for other targets, kept as they are when the file is compacted.
    private var otherLines: [String: String] = [:]
    private let lock = PThreadMutex()
    private var descriptor: Int32 = -1

    /// Reads the journal at `path` (a missing file is an empty state) and opens it for
    /// appending. Throws when the file cannot be created or written.
    public init(path: String, target: String) throws {
        self.path = path
        self.target = target
        if let data = FileManager.default.contents(atPath: path) {
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                      let lineTarget = object["target"] as? String, let filePath = object["path"] as? String else { continue }
                if lineTarget == target {
                    if let record = Self.record(object) { records[filePath] = record }
                } else {
                    otherLines[lineTarget + "\u{0}" + filePath] = String(decoding: line, as: UTF8.self)
                }
            }
        }
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw IngestError("cannot write the state file \(path): \(String(cString: strerror(errno)))")
        }
        // Two runs appending to and compacting one journal would lose each other's lines.
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw IngestError("the state file \(path) is in use by another ragd ingest (use --state for a separate one)")
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// The last record for the file at `path` (absolute), or nil.
    public func record(for path: String) -> FileRecord? {
        lock.withLock { records[path] }
    }

    /// Remembers `record`, on disk before this returns.
    public func save(_ record: FileRecord) throws {
        let line = Array((Self.line(record, target: target) + "\n").utf8)
        try lock.withLock {
            records[record.path] = record
            let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == line.count else {
                throw IngestError("cannot write the state file \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Rewrites the journal with one line per file (the last), then keeps appending to
    /// the new file.
    public func compact() throws {
        try lock.withLock {
            let temporary = path + ".tmp"
            var lines = otherLines.keys.sorted().compactMap { otherLines[$0] }
            lines += records.keys.sorted().compactMap { records[$0].map { Self.line($0, target: target) } }
            let text = lines.map { $0 + "\n" }.joined()
            guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)), rename(temporary, path) == 0 else {
                unlink(temporary)
                throw IngestError("cannot rewrite the state file \(path): \(String(cString: strerror(errno)))")
            }
            let reopened = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            if reopened >= 0 { _ = flock(reopened, LOCK_EX | LOCK_NB) }
            close(descriptor)
            descriptor = reopened
        }
    }

    // MARK: lines

    static func line(_ record: FileRecord, target: String) -> String {
        var fields: [(String, String)] = [
            ("target", JSONText.quoted(target)),
            ("path", JSONText.quoted(record.path)),
            ("size", String(record.size)),
            ("mtime_ns", String(record.modifiedNanoseconds)),
            ("sha256", JSONText.quoted(record.sha256)),
            ("status", JSONText.quoted(record.status.rawValue)),
        ]
        if let id = record.documentID { fields.append(("document_id", JSONText.quoted(id))) }
        if let id = record.jobID { fields.append(("job_id", JSONText.quoted(id))) }
        if let chunks = record.chunks { fields.append(("chunks", String(chunks))) }
        return JSONText.object(fields)
    }

    static func record(_ object: [String: Any]) -> FileRecord? {
        guard let path = object["path"] as? String, let size = (object["size"] as? NSNumber)?.intValue,
              let modified = (object["mtime_ns"] as? NSNumber)?.int64Value, let sha256 = object["sha256"] as? String,
              let status = (object["status"] as? String).flatMap(FileRecord.Status.init(rawValue:)) else { return nil }
        return FileRecord(path: path, size: size, modifiedNanoseconds: modified, sha256: sha256, status: status,
                          documentID: object["document_id"] as? String, jobID: object["job_id"] as? String,
                          chunks: (object["chunks"] as? NSNumber)?.intValue)
    }
}
