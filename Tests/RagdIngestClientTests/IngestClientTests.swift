import Foundation
import RagdText
import Testing

@testable import RagdIngestClient

/// The parts of `ragd ingest` that need no server: what a scan takes, the resume
/// journal, the multipart body (read back by the server's own parser). The command
/// against a real server is in RagdLiveTests/IngestCommandTests.
@Suite struct IngestClientTests {
    /// A fresh directory with `files` (relative path -> content).
    static func tree(_ files: [String: String]) throws -> String {
        let root = NSTemporaryDirectory() + "ragd-ingest-" + UUID().uuidString
        for (path, content) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: full))
        }
        return root
    }

    @Test func aScanWalksFoldersTakesSupportedTypesAndSkipsHiddenNames() throws {
        let root = try Self.tree([
            "a.md": "# A", "b.txt": "b", "sub/c.html": "<p>c</p>", "sub/deeper/d.PDF": "%PDF-", "e.png": "png",
            ".git/f.md": "hidden", ".hidden.txt": "hidden", "sub/g.docx": "zip",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let scan = FileScanner.scan([root + "/"])
        #expect(scan.files.map(\.displayPath) == [root + "/a.md", root + "/b.txt", root + "/sub/c.html", root + "/sub/deeper/d.PDF",
                                                  root + "/sub/g.docx"])
        #expect(scan.files.map(\.format) == [.markdown, .plainText, .html, .pdf, .docx])
        #expect(scan.ignored == 1 && scan.refused.isEmpty, "e.png is ignored inside a folder")
        #expect(scan.files.allSatisfy { $0.path.hasPrefix("/") && $0.size > 0 && $0.modifiedNanoseconds > 0 })
    }

    @Test func anExplicitFileOfAnUnsupportedTypeOrAMissingPathIsRefused() throws {
        let root = try Self.tree(["e.png": "png", "a.md": "# A"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let scan = FileScanner.scan([root + "/e.png", root + "/missing.md", root + "/a.md", root + "/a.md"])
        #expect(scan.files.map(\.displayPath) == [root + "/a.md"], "the same file twice is sent once")
        #expect(scan.refused.map(\.path) == [root + "/e.png", root + "/missing.md"])
        #expect(scan.refused[0].reason.contains("not a supported type"))
    }

    @Test func globsMatchNamesOrPathsBelowTheArgument() throws {
        let root = try Self.tree(["a.md": "a", "b.pdf": "%PDF-", "sub/c.pdf": "%PDF-", "sub/d.md": "d"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(FileScanner.scan([root], globs: ["*.pdf"]).files.map(\.displayPath) == [root + "/b.pdf", root + "/sub/c.pdf"])
        #expect(FileScanner.scan([root], globs: ["sub/*.md"]).files.map(\.displayPath) == [root + "/sub/d.md"])
        #expect(FileScanner.scan([root], globs: ["*.pdf", "a.*"]).files.count == 3)
    }

    @Test func theJournalKeepsTheLastLinePerFileSkipsATornLineAndSeparatesTargets() throws {
        let root = try Self.tree([:])
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/state.jsonl"
        do {
            let state = try IngestState(path: path, target: "https://a t1")
            try state.save(FileRecord(path: "/x.md", size: 1, modifiedNanoseconds: 5, sha256: "aa", status: .submitted, jobID: "j1"))
            try state.save(FileRecord(path: "/x.md", size: 1, modifiedNanoseconds: 5, sha256: "aa", status: .done, documentID: "d1",
                                      chunks: 3))
            try state.save(FileRecord(path: "/y.md", size: 2, modifiedNanoseconds: 6, sha256: "bb", status: .done, documentID: "d2"))
        }
        do {
            let other = try IngestState(path: path, target: "https://a t2")
            #expect(other.record(for: "/x.md") == nil, "another tenant's state is not this one's")
            try other.save(FileRecord(path: "/x.md", size: 9, modifiedNanoseconds: 9, sha256: "cc", status: .done))
        }
        // A kill in the middle of a write leaves a torn last line.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"target\":\"https://a t1\",\"path\":\"/y.md\",\"si".utf8))
        try handle.close()

        do {
            let state = try IngestState(path: path, target: "https://a t1")
            #expect(state.record(for: "/x.md")?.status == .done && state.record(for: "/x.md")?.documentID == "d1")
            #expect(state.record(for: "/x.md")?.chunks == 3)
            #expect(state.record(for: "/y.md")?.sha256 == "bb")
            try state.compact()
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3, "one line per target and file: \(lines)")
        #expect(try IngestState(path: path, target: "https://a t2").record(for: "/x.md")?.sha256 == "cc")
    }

    @Test func aSecondRunCannotShareTheStateFile() throws {
        let root = try Self.tree([:])
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try IngestState(path: root + "/s.jsonl", target: "t")
        #expect(throws: IngestError.self) { _ = try IngestState(path: root + "/s.jsonl", target: "t") }
        _ = first
    }

    @Test func theUploadBodyIsReadBackByTheServersParser() throws {
        var form = MultipartBody()
        form.addField("source", "docs/Ärger \"quoted\".md")
        form.addFile("file", filename: "Ärger \"quoted\".md", contentType: "text/markdown", content: Array("# Hi\r\n--x\r\n".utf8))
        form.finish()
        let parts = try MultipartFormData.parse(form.bytes, contentType: form.contentType)
        #expect(parts.count == 2)
        #expect(parts[0].name == "source" && String(decoding: parts[0].body, as: UTF8.self) == "docs/Ärger \"quoted\".md")
        #expect(parts[1].filename == "Ärger \"quoted\".md", "filename* carries the exact name")
        #expect(parts[1].contentType == "text/markdown" && parts[1].body == Array("# Hi\r\n--x\r\n".utf8))
        #expect(MultipartBody.filenameParameters("plain.md") == "filename=\"plain.md\"")
    }

    @Test func theTenantComesFromTheTokenWithoutVerifyingIt() {
        func token(_ claims: String) -> String {
            "eyJhbGciOiJIUzI1NiJ9." + Data(claims.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_") + ".sig"
        }
        #expect(IngestRun.tenant(ofToken: token("{\"tenant\":\"acme\",\"sub\":\"x\"}")) == "acme")
        #expect(IngestRun.tenant(ofToken: "not-a-jwt") == nil)
        #expect(IngestRun.tenant(ofToken: token("{\"sub\":\"x\"}")) == nil)
    }

    @Test func etaIsShort() {
        #expect(ProgressReporter.duration(5) == "5s")
        #expect(ProgressReporter.duration(65) == "1m05s")
        #expect(ProgressReporter.duration(7322) == "2h02m")
    }
}
