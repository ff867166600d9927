import Foundation
import RagdText
#if canImport(Glibc)
import Glibc
#endif

/// A file `ragd ingest` will send (or skip when the state says it is done).
public struct IngestFile: Sendable, Equatable {
    /// The absolute path, symbolic links resolved: the key of the resume state, the same
    /// whichever directory the command runs from.
    public var path: String
    /// The path as the user named it (the argument, then the path below it): what the
    /// progress lines show and the document's `source`.
    public var displayPath: String
    /// Size in bytes and modification time (nanoseconds since the epoch) when scanned:
    /// a file whose size and time match the state's record is not read again.
    public var size: Int
    public var modifiedNanoseconds: Int64
    /// The format its extension names.
    public var format: DocumentFormat
}

/// What a scan found.
public struct ScanResult: Sendable {
    /// Supported files, in a stable order (each argument in turn, then by path).
    public var files: [IngestFile] = []
    /// Paths that were named explicitly but cannot be sent (missing, unreadable, an
    /// unsupported type), with why: each is a failure of the run.
    public var refused: [(path: String, reason: String)] = []
    /// Files met while walking folders that are not of a supported type: left alone.
    public var ignored = 0
}

/// Walks the paths given to `ragd ingest`: folders recursively, files as they are.
///
/// Inside a folder, names starting with a dot (`.git`, `.ragd-ingest-state.jsonl`) are
/// skipped, symbolic links to files are followed and links to folders are not (no
/// loops), and only supported formats are taken. A file named on the command line is
/// always taken, and refused when its type is not supported, so a typo is never silent.
public enum FileScanner {
    /// Files larger than this are refused before reading: nginx refuses bodies over
    /// 50 MiB (`client_max_body_size 50m`), so sending one would only waste the upload.
    public static let maxFileBytes = 50 << 20

    /// Scans `paths`; `globs` (shell patterns, `*.pdf`), when any, keep only files whose
    /// name matches one of them (or whose path below its argument does, for a pattern
    /// holding a `/`).
    public static func scan(_ paths: [String], globs: [String] = []) -> ScanResult {
        var result = ScanResult()
        var seen = Set<String>()
        for argument in paths {
            let display = trimmedArgument(argument)
            var info = stat()
            guard stat(argument, &info) == 0 else {
                result.refused.append((display, "cannot be read: \(String(cString: strerror(errno)))"))
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                walk(directory: argument, display: display, root: display, globs: globs, into: &result, seen: &seen)
            } else if (info.st_mode & S_IFMT) == S_IFREG {
                guard matches(globs, name: (display as NSString).lastPathComponent, relative: display) else { continue }
                guard let format = DocumentFormat(filename: display) else {
                    result.refused.append((display, "is not a supported type (\(supportedExtensions))"))
                    continue
                }
                add(path: argument, display: display, info: info, format: format, into: &result, seen: &seen)
            } else {
                result.refused.append((display, "is not a regular file or a folder"))
            }
        }
        return result
    }

    /// The extensions `ragd ingest` takes, for messages.
    public static let supportedExtensions = ".txt .text .md .markdown .html .htm .xhtml .pdf .docx"

    /// `root`: the argument's display path, which globs with a `/` are relative to.
    private static func walk(directory: String, display: String, root: String, globs: [String], into result: inout ScanResult,
                             seen: inout Set<String>) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            result.refused.append((display, "cannot be listed"))
            return
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            let shown = display.isEmpty || display == "." ? name : (display == "/" ? "/" + name : display + "/" + name)
            var link = stat()
            guard lstat(path, &link) == 0 else { continue }
            if (link.st_mode & S_IFMT) == S_IFDIR {
                walk(directory: path, display: shown, root: root, globs: globs, into: &result, seen: &seen)
                continue
            }
            var info = stat()
            // A link to a folder is not followed (it could loop); a link to a file is.
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            guard let format = DocumentFormat(filename: name) else {
                result.ignored += 1
                continue
            }
            let relative = shown.hasPrefix(root + "/") ? String(shown.dropFirst(root.count + 1)) : shown
            guard matches(globs, name: name, relative: relative) else { continue }
            add(path: path, display: shown, info: info, format: format, into: &result, seen: &seen)
        }
    }

    private static func add(path: String, display: String, info: stat, format: DocumentFormat, into result: inout ScanResult,
                            seen: inout Set<String>) {
        let absolute = resolved(path)
        // The same file through two arguments (or a link) is sent once.
        guard seen.insert(absolute).inserted else { return }
        let size = Int(info.st_size)
        if size > maxFileBytes {
            result.refused.append((display, "is larger than the 50 MiB upload limit (\(size) bytes)"))
            return
        }
        let nanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        result.files.append(IngestFile(path: absolute, displayPath: display, size: size, modifiedNanoseconds: nanoseconds,
                                       format: format))
    }

    /// `docs/` and `docs` name the same folder; shown without the trailing slash.
    static func trimmedArgument(_ argument: String) -> String {
        var text = argument
        while text.count > 1 && text.hasSuffix("/") { text.removeLast() }
        return text
    }

    static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }

    /// True without patterns, else when one matches: against the file name, or the path
    /// below the argument for a pattern with a `/` (`*` then does not cross a `/`).
    static func matches(_ globs: [String], name: String, relative: String) -> Bool {
        guard !globs.isEmpty else { return true }
        return globs.contains { glob in
            glob.contains("/") ? fnmatch(glob, relative, FNM_PATHNAME) == 0 : fnmatch(glob, name, 0) == 0
        }
    }
}
