import Foundation
import RagdText

/// What one PDF or Word file may cost. The defaults hold each parser run to 30 s of wall
/// clock and of CPU and 512 MiB of address space (a PDF takes two runs, a DOCX one or two).
public struct ExtractionLimits: Sendable, Equatable {
    /// Wall clock, CPU and memory of each parser process.
    public var sandbox: SandboxLimits
    /// Most bytes of extracted text: what a text upload may have (`MAX_BODY_BYTES`).
    public var textBytes: Int
    /// Most bytes of `pdftotext -tsv` output read (it is streamed, never held whole;
    /// about five to ten times the text). 512 MiB.
    public var layoutBytes: Int
    /// Most bytes a DOCX's `word/document.xml` may inflate to, declared or actual: more
    /// is taken for a decompression bomb. 200 MiB.
    public var uncompressedBytes: Int

    public init(sandbox: SandboxLimits = SandboxLimits(), textBytes: Int = 50 << 20, layoutBytes: Int = 512 << 20,
                uncompressedBytes: Int = 200 << 20) {
        self.sandbox = sandbox
        self.textBytes = textBytes
        self.layoutBytes = layoutBytes
        self.uncompressedBytes = uncompressedBytes
    }
}

/// The errors the readers throw, worded for the client (never quoting the file beyond a
/// short, printable parser message).
enum ExtractionFailure {
    /// The file's own fault: 422 naming why.
    static func unreadable(_ reason: String) -> TextError {
        TextError(.unreadableDocument, reason)
    }

    static func timedOut(_ seconds: Double) -> TextError {
        let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
        return unreadable("reading it took longer than \(shown) s")
    }

    /// Killed by the kernel: RLIMIT_CPU (SIGXCPU/SIGKILL) or a failed allocation under
    /// RLIMIT_AS (SIGSEGV/SIGABRT/SIGBUS).
    static func exhausted(signal: Int32) -> TextError {
        unreadable("reading it exceeded the parser's CPU or memory limit (signal \(signal))")
    }

    /// The server could not run the reader at all.
    static func `internal`(_ error: Error) -> TextError {
        TextError(.extractorFailed, "the document reader could not run: \(error)")
    }

    /// "50 MiB", or "100 bytes" below a MiB.
    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    /// The first line of a tool's error output, printable ASCII only, at most 120 characters.
    static func firstLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "no message"
        return String(line.unicodeScalars.prefix(120).map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? Character($0) : "?" })
    }
}
