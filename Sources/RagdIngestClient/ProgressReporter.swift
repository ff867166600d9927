import Foundation
import RagdCore
#if canImport(Glibc)
import Glibc
#endif

/// How one file ended.
public enum FileOutcome: Sendable, Equatable {
    /// Stored now, with this many chunks.
    case ingested(documentID: String, chunks: Int)
    /// The server already had this text (its sha256 dedupe): nothing stored twice.
    case duplicate(documentID: String, chunks: Int)
    /// Done in an earlier run and not changed since (the state file): not sent.
    case unchanged
    /// Refused, with why (the server's problem detail, or a local reason).
    case failed(String)

    var word: String {
        switch self {
        case .ingested: return "ingested"
        case .duplicate: return "duplicate"
        case .unchanged: return "unchanged"
        case .failed: return "FAILED"
        }
    }
}

/// Progress on stdout: a bar redrawn in place on a terminal (files done of the total,
/// chunks, rate, ETA), or, when stdout is not a terminal (a log, a pipe, CI), one plain
/// line per file that a program can read:
///
///     [3/40] ingested docs/pump.md (7 chunks)
///     [4/40] FAILED docs/scan.pdf: 422 Unprocessable Content: ...
public final class ProgressReporter: @unchecked Sendable {
    public enum Style: Sendable { case bar, lines }

    public let style: Style
    private let total: Int
    private let totalBytes: Int
    private let lock = PThreadMutex()
    private let started = Clock.monotonicNanoseconds()
    private var finished = 0
    private var bytesDone = 0
    private var chunksDone = 0
    /// Chunks embedded so far by background jobs still running, by job.
    private var chunksRunning: [String: Int] = [:]
    private var failed = 0
    private var lastDraw: UInt64 = 0
    private var closed = false

    /// `style` nil: a bar when stdout is a terminal, lines otherwise. `totalBytes`: of the
    /// files that will be sent (the ETA is by bytes).
    public init(style: Style? = nil, total: Int, totalBytes: Int) {
        self.style = style ?? (isatty(STDOUT_FILENO) == 1 ? .bar : .lines)
        self.total = total
        self.totalBytes = totalBytes
    }

    /// A line that is not about one file's end (a notice, a queued job).
    public func note(_ text: String) {
        lock.withLock {
            if style == .bar { Self.write("\r\u{1B}[2K" + text + "\n"); drawLocked(force: true) } else { Self.write(text + "\n") }
        }
    }

    public func fileFinished(_ file: IngestFile, _ outcome: FileOutcome) {
        lock.withLock {
            finished += 1
            switch outcome {
            case .ingested(_, let chunks):
                chunksDone += chunks
                bytesDone += file.size
            case .duplicate:
                bytesDone += file.size
            case .unchanged:
                break
            case .failed:
                failed += 1
                bytesDone += file.size
            }
            var line = "[\(finished)/\(total)] \(outcome.word) \(file.displayPath)"
            switch outcome {
            case .ingested(_, let chunks): line += chunks == 1 ? " (1 chunk)" : " (\(chunks) chunks)"
            case .duplicate(let id, _): line += " (already stored as \(id))"
            case .failed(let why): line += ": " + why
            case .unchanged: break
            }
            switch style {
            case .lines:
                Self.write(line + "\n")
            case .bar:
                // Only failures scroll above the bar; the rest is counted in it.
                if case .failed = outcome { Self.write("\r\u{1B}[2K" + line + "\n") }
                drawLocked(force: finished == total)
            }
        }
    }

    /// A running job's progress (chunks embedded so far), from a poll.
    public func jobProgress(_ jobID: String, chunks: Int?) {
        lock.withLock {
            chunksRunning[jobID] = chunks
            if style == .bar { drawLocked(force: false) }
        }
    }

    /// Redraws the bar if it is due (the ticker calls this, so rate and ETA move while
    /// a long file uploads).
    public func tick() {
        lock.withLock { if style == .bar { drawLocked(force: false) } }
    }

    /// Leaves the bar's line, so what follows starts on a fresh one.
    public func close() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            if style == .bar { drawLocked(force: true); Self.write("\n") }
        }
    }

    private func drawLocked(force: Bool) {
        guard !closed else { return }
        let now = Clock.monotonicNanoseconds()
        guard force || now - lastDraw >= 100_000_000 else { return }
        lastDraw = now
        let seconds = Double(now - started) / 1e9
        let width = 20
        let filled = total == 0 ? width : min(width, finished * width / total)
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
        line += "\(finished)/\(total) files  \(chunksDone + chunksRunning.values.reduce(0, +)) chunks"
        if seconds >= 1 && finished > 0 { line += String(format: "  %.1f files/s", Double(finished) / seconds) }
        let remaining = totalBytes - bytesDone
        if bytesDone > 0 && remaining > 0 && seconds >= 1 {
            line += "  ETA " + Self.duration(seconds / Double(bytesDone) * Double(remaining))
        }
        if failed > 0 { line += "  \(failed) failed" }
        Self.write("\r\u{1B}[2K" + line)
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return String(format: "%dh%02dm", total / 3600, total % 3600 / 60)
    }

    static func write(_ text: String) {
        var copy = text
        copy.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
        fflush(stdout)
    }
}
