import RagdText
#if canImport(Glibc)
import Glibc
#endif

/// PDF to text with poppler (Debian `poppler-utils`), chosen by measurement
/// (bench/README.md): `pdfinfo` for the title, the page count and whether a password is
/// needed, then `pdftotext -tsv` for the words with their blocks and lines, laid out by
/// `PDFLayout`. Both run in the sandbox.
struct PDFReader {
    let limits: ExtractionLimits
    var pdfinfo = "/usr/bin/pdfinfo"
    var pdftotext = "/usr/bin/pdftotext"

    func read(_ bytes: [UInt8]) throws(TextError) -> ExtractedDocument {
        try checkEnvelope(bytes)
        let file: ScratchFile
        do { file = try ScratchFile(bytes, name: "upload.pdf") } catch { throw ExtractionFailure.internal(error) }
        defer { file.remove() }

        let info = try runChecked(pdfinfo, ["-enc", "UTF-8", file.path], outputBytes: 1 << 20, consume: nil)
        let fields = Self.infoFields(String(decoding: info, as: UTF8.self))
        var layout = PDFLayout()
        var textTooLarge = false
        _ = try runChecked(pdftotext, ["-tsv", "-enc", "UTF-8", file.path, "-"], outputBytes: limits.layoutBytes) { piece in
            layout.feed(piece)
            // The layout is about ten times its text; the text itself is held to the
            // limit a text upload has.
            if layout.textBytes > limits.textBytes { textTooLarge = true }
        }
        layout.finish()
        if textTooLarge || layout.textBytes > limits.textBytes {
            throw ExtractionFailure.unreadable("its text is larger than \(ExtractionFailure.size(limits.textBytes))")
        }
        let pageCount = max(layout.pageCount, fields["Pages"].flatMap { Int($0) } ?? 0)
        let assembled = PagedText.assemble(layout.pages, pageCount: pageCount)
        guard !assembled.text.isEmpty else {
            throw ExtractionFailure.unreadable("it has no text layer (\(pageCount) page\(pageCount == 1 ? "" : "s") of images only, "
                                               + "e.g. a scan); run OCR on it first")
        }
        return ExtractedDocument(text: assembled.text, title: DocumentExtractor.cleanTitle(fields["Title"]), format: .pdf,
                                 pages: assembled.map)
    }

    /// What can be told without parsing: empty, not a PDF, or cut short. A PDF starts
    /// with `%PDF-` and ends with `%%EOF` (readers look for them within the first and
    /// last 1024 bytes); poppler would otherwise rebuild a truncated file's cross-reference
    /// table and quietly return the pages it still finds.
    func checkEnvelope(_ bytes: [UInt8]) throws(TextError) {
        guard !bytes.isEmpty else { throw ExtractionFailure.unreadable("the file is empty (0 bytes)") }
        guard Self.find(Array("%PDF-".utf8), in: bytes.prefix(1024)) else {
            throw ExtractionFailure.unreadable("it is not a PDF (no %PDF- header)")
        }
        guard Self.find(Array("%%EOF".utf8), in: bytes.suffix(1024)) else {
            throw ExtractionFailure.unreadable("it is truncated or corrupt (no %%EOF marker at its end)")
        }
    }

    /// Runs a poppler tool; a failure becomes the 422 that names its cause.
    private func runChecked(_ tool: String, _ arguments: [String], outputBytes: Int,
                            consume: ((ArraySlice<UInt8>) -> Void)?) throws(TextError) -> [UInt8] {
        var sandbox = limits.sandbox
        sandbox.outputBytes = outputBytes
        let result: SandboxResult
        do {
            if let consume {
                result = try Sandbox.run(tool, arguments, limits: sandbox, consume: consume)
            } else {
                result = try Sandbox.run(tool, arguments, limits: sandbox)
            }
        } catch {
            throw ExtractionFailure.internal(error)
        }
        if result.timedOut { throw ExtractionFailure.timedOut(limits.sandbox.seconds) }
        if result.overflowed { throw ExtractionFailure.unreadable("it yields more than \(ExtractionFailure.size(outputBytes)) of layout") }
        if result.crashed { throw ExtractionFailure.exhausted(signal: result.signal ?? 0) }
        guard result.exitStatus == 0 else {
            if result.errorText.contains("Incorrect password") {
                throw ExtractionFailure.unreadable("it is encrypted (a password is needed to open it)")
            }
            if result.exitStatus == 127 || result.exitStatus == 126 {
                throw ExtractionFailure.internal(SandboxError("\(tool) could not be run: \(ExtractionFailure.firstLine(result.errorText))"))
            }
            throw ExtractionFailure.unreadable("it is corrupt (poppler: \(ExtractionFailure.firstLine(result.errorText)))")
        }
        return result.output
    }

    /// `Name: value` lines of pdfinfo.
    static func infoFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            guard fields[name] == nil else { continue }
            fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
        }
        return fields
    }

    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBufferPointer { hay in
            // memchr finds candidates for the first byte at memory speed (no memmem in Glibc's
            // Swift overlay: it is a GNU extension).
            var offset = 0
            let last = hay.count - needle.count
            while offset <= last {
                guard let hit = memchr(hay.baseAddress! + offset, Int32(needle[0]), last - offset + 1) else { return false }
                let position = hay.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if needle.indices.allSatisfy({ hay[position + $0] == needle[$0] }) { return true }
                offset = position + 1
            }
            return false
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var slice = self
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
