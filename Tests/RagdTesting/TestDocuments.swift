import Foundation

/// The PDF and Word files of the extraction tests, made once per test process by
/// Tests/tools/make_documents.py with real tools (groff, qpdf, poppler, python-docx,
/// Pillow; `scripts/stack.sh install` provides them). Nothing binary is committed.
public enum TestDocuments {
    /// `RAGD_TEST_PYTHON`, default /opt/ragd-test-venv/bin/python (where stack.sh puts
    /// python-docx and Pillow).
    public static var python: String {
        ProcessInfo.processInfo.environment["RAGD_TEST_PYTHON"] ?? "/opt/ragd-test-venv/bin/python"
    }

    private static let made: Result<String, TestFailure> = {
        do {
            let directory = try TestSupport.makeTemporaryDirectory("ragd-documents")
            chmod(directory, 0o755)
            let result = try run(python, [Paths.testTool("make_documents.py"), directory])
            guard result.status == 0 else {
                return .failure(TestFailure("make_documents.py failed (run scripts/stack.sh install): \(result.output.suffix(1500))"))
            }
            return .success(directory)
        } catch {
            return .failure(TestFailure("cannot make the test documents: \(error)"))
        }
    }()

    /// The directory holding the files (see make_documents.py for the list).
    public static func directory() throws -> String { try made.get() }

    /// The path of one of them, e.g. `handbook.pdf`.
    public static func path(_ name: String) throws -> String { try directory() + "/" + name }

    /// Its bytes.
    public static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try path(name))))
    }
}
