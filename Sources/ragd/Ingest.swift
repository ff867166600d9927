import ArgumentParser
import Foundation
import RagdIngestClient

/// `ragd ingest`: a client of the HTTP API that loads folders of documents into ragd,
/// resumable (a journal of what is done), `--concurrency` files at a time. It reads no
/// server configuration: only the URL and a token.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload every supported file under PATHs to a ragd server (resumable).",
        discussion: """
            Folders are walked recursively (names starting with a dot are skipped); files of
            other types inside them are ignored, while a file named explicitly must be of a
            supported type (\(FileScanner.supportedExtensions)). Each document's source is the
            file's path as given here.

            Files done are recorded in the state file (--state); a rerun, after an interruption
            or later, skips files whose size and modification time (or content) have not
            changed. The server's own deduplication answers "duplicate" for text it already has.

            Exit status: 0 every file is on the server; 1 some files failed (listed at the end);
            2 the run stopped early (token refused, server unavailable after retries; rerun to
            continue); 64 bad arguments; 130 interrupted.
            """)

    enum Mode: String, EnumerableFlag {
        case sync, async

        static func help(for value: Mode) -> ArgumentHelp? {
            switch value {
            case .sync: return "Ingest each file in its upload request (default)."
            case .async: return "Queue the files as background jobs, up to 16 per request, and wait for the jobs."
            }
        }
    }

    @Argument(help: "Files and folders to upload.")
    var paths: [String]

    @Option(help: "The server's base URL (default: $RAGD_URL, else https://127.0.0.1:8443).")
    var url: String?

    @Option(help: "A bearer token with documents:write (default: $RAGD_TOKEN; prefer the variable, a command line is visible to other users).")
    var token: String?

    @Option(help: "Upload requests at once, 1 to 64.")
    var concurrency: Int = 4

    @Option(name: .customLong("glob"), help: "Only files whose name matches this shell pattern (e.g. '*.pdf'); repeatable.")
    var globs: [String] = []

    @Flag(help: "Skip TLS certificate verification (a self-signed development server).")
    var insecure = false

    @Option(name: .customLong("ca"), help: "PEM file of the certificate authorities to trust (instead of the system's).")
    var caFile: String?

    @Flag(help: "Ingest synchronously or as background jobs.")
    var mode: Mode = .sync

    @Option(name: .customLong("state"), help: "The resume state file.")
    var statePath: String = ".ragd-ingest-state.jsonl"

    var resolvedURL: String {
        var text = url ?? ProcessInfo.processInfo.environment["RAGD_URL"] ?? "https://127.0.0.1:8443"
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    var resolvedToken: String? {
        let value = token ?? ProcessInfo.processInfo.environment["RAGD_TOKEN"]
        return value.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one file or folder.") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64.") }
        let lowered = resolvedURL.lowercased()
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://"), resolvedURL.count > 8,
              !resolvedURL.contains("?"), !resolvedURL.contains("#") else {
            throw ValidationError("--url must be an http:// or https:// base URL such as https://rag.example.com")
        }
        guard resolvedToken != nil else { throw ValidationError("no token: set RAGD_TOKEN or pass --token.") }
        if insecure && caFile != nil { throw ValidationError("--insecure and --ca exclude each other.") }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ValidationError("--ca \(caFile) cannot be read.")
        }
    }

    func run() throws {
        // Ctrl-C: what is done is already in the state file, so stopping at once loses
        // nothing; only the terminal's line (the progress bar) needs ending.
        signal(SIGINT) { _ in
            var newline: UInt8 = 10
            _ = write(STDOUT_FILENO, &newline, 1)
            _exit(130)
        }
        // A server that closes the connection while a file is still being sent (a restart,
        // a proxy's limit) must be an error of that request, not a silent death by SIGPIPE
        // (OpenSSL writes to the socket with write(2), which libcurl cannot flag).
        signal(SIGPIPE, SIG_IGN)
        let connection = IngestConnection(baseURL: resolvedURL, token: resolvedToken ?? "", caFile: caFile, insecure: insecure)
        var options = IngestOptions(connection: connection)
        options.concurrency = concurrency
        options.background = mode == .async
        options.statePath = statePath
        options.globs = globs
        let summary: IngestSummary
        do {
            summary = try IngestRun(paths: paths, options: options).run()
        } catch {
            printError("ingest: \(error)")
            throw ExitCode(2)
        }
        var line = "\(summary.ingested) ingested (\(summary.chunks) chunks), \(summary.duplicates) duplicate, "
            + "\(summary.unchanged) unchanged, \(summary.failures.count) failed of \(summary.files) files"
        line += String(format: " in %.1f s", summary.seconds)
        print(line)
        if !summary.failures.isEmpty {
            print("failed:")
            for failure in summary.failures { print("  \(failure.path): \(failure.reason)") }
        }
        if let stopped = summary.stopped {
            printError("ingest stopped: \(stopped); \(summary.notAttempted) file(s) not done. Run the same command again to continue.")
        }
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }
}
