import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The uploaded bytes in a file of their own, for parsers that need a seekable file
/// (PDF cross-reference tables, the zip central directory): in a fresh 0700 directory
/// under `TMPDIR` (default /tmp; an emptyDir in Kubernetes), removed by `remove()`.
final class ScratchFile {
    let directory: String
    let path: String

    init(_ bytes: [UInt8], name: String) throws(SandboxError) {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/ragd-extract-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SandboxError("cannot create a temporary directory in \(base): \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            rmdir(directory)
            throw SandboxError("cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = String(cString: strerror(errno))
                unlink(path)
                rmdir(directory)
                throw SandboxError("cannot write a temporary file: \(reason)")
            }
            written += n
        }
    }

    func remove() {
        unlink(path)
        rmdir(directory)
    }
}
