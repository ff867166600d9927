import Foundation
import RagdText

/// Word (.docx) to text: the zip's central directory is read here (no inflating) to
/// check that `word/document.xml` exists and that its declared size is within the limit;
/// the part is then inflated by Debian's `unzip -p` in the sandbox, whose output is cut
/// off at the declared size, so a decompression bomb costs at most the limit whether it
/// declares its size honestly or not; the XML is parsed by
/// `WordText`. Word never writes a DTD, so one (entity expansion, external entities) is
/// refused before parsing.
struct DOCXReader {
    let limits: ExtractionLimits
    var unzip = "/usr/bin/unzip"
    static let documentPart = "word/document.xml"
    static let corePart = "docProps/core.xml"

    func read(_ bytes: [UInt8]) throws(TextError) -> ExtractedDocument {
        guard !bytes.isEmpty else { throw ExtractionFailure.unreadable("the file is empty (0 bytes)") }
        let directory: ZipDirectory
        do {
            directory = try ZipDirectory(bytes)
        } catch {
            switch error {
            case .notZip: throw ExtractionFailure.unreadable("it is not a zip archive, which a .docx file is")
            case .damaged: throw ExtractionFailure.unreadable("its zip directory is damaged")
            case .zip64: throw ExtractionFailure.unreadable("it is a ZIP64 archive, which no Word document needs")
            }
        }
        guard let document = directory.entry(Self.documentPart) else {
            throw ExtractionFailure.unreadable("it has no \(Self.documentPart) (not a Word document)")
        }
        let declared = directory.entries.reduce(UInt64(0)) { $0 + $1.uncompressedSize }
        if document.uncompressedSize > UInt64(limits.uncompressedBytes) || declared > UInt64(limits.uncompressedBytes) * 4 {
            throw ExtractionFailure.unreadable("it declares \(declared >> 20) MiB uncompressed, over the \(ExtractionFailure.size(limits.uncompressedBytes)) limit "
                                               + "(a decompression bomb?)")
        }

        let file: ScratchFile
        do { file = try ScratchFile(bytes, name: "upload.docx") } catch { throw ExtractionFailure.internal(error) }
        defer { file.remove() }
        // An honest archive inflates to exactly the size it declares, so the output is cut
        // off there: a lying directory cannot make the worker hold more than it declared,
        // which is at most the limit.
        let xml = try inflate(Self.documentPart, from: file, limit: Int(document.uncompressedSize)) {
            ExtractionFailure.unreadable("its \(Self.documentPart) inflates to more than the \(document.uncompressedSize) bytes "
                                         + "its directory declares (a decompression bomb?)")
        }
        try refuseDTD(xml)
        let body = WordText(maxTextBytes: limits.textBytes)
        guard body.parse(Data(xml)) else { throw ExtractionFailure.unreadable("its \(Self.documentPart) is not well-formed XML") }
        if body.tooLarge { throw ExtractionFailure.unreadable("its text is larger than \(ExtractionFailure.size(limits.textBytes))") }

        var title: String?
        if directory.entry(Self.corePart) != nil,
           let core = try? inflate(Self.corePart, from: file, limit: 1 << 20, tooLarge: { ExtractionFailure.unreadable("") }),
           (try? refuseDTD(core)) != nil {
            let properties = CoreProperties()
            properties.parse(Data(core))
            title = properties.title
        }
        let text = TextNormalizer.normalize(body.paragraphs.joined(separator: "\n\n"))
        guard text.utf8.count <= limits.textBytes else {
            throw ExtractionFailure.unreadable("its text is larger than \(ExtractionFailure.size(limits.textBytes))")
        }
        guard !text.isEmpty else { throw ExtractionFailure.unreadable("it contains no text") }
        return ExtractedDocument(text: text, title: DocumentExtractor.cleanTitle(title) ?? DocumentExtractor.cleanTitle(body.titleParagraph),
                                 format: .docx)
    }

    /// One entry's bytes through `unzip -p`, at most `limit` of them.
    private func inflate(_ entry: String, from file: ScratchFile, limit: Int,
                         tooLarge: () -> TextError) throws(TextError) -> [UInt8] {
        var sandbox = limits.sandbox
        sandbox.outputBytes = limit
        let result: SandboxResult
        // -p: to standard output; -qq: no chatter. Names are matched as wildcards by
        // unzip, and ours contain none.
        do { result = try Sandbox.run(unzip, ["-p", "-qq", file.path, entry], limits: sandbox) } catch {
            throw ExtractionFailure.internal(error)
        }
        if result.overflowed { throw tooLarge() }
        if result.timedOut { throw ExtractionFailure.timedOut(sandbox.seconds) }
        if result.crashed { throw ExtractionFailure.exhausted(signal: result.signal ?? 0) }
        guard result.exitStatus == 0 else {
            if result.exitStatus == 127 || result.exitStatus == 126 {
                throw ExtractionFailure.internal(SandboxError("unzip could not be run: \(ExtractionFailure.firstLine(result.errorText))"))
            }
            throw ExtractionFailure.unreadable("its \(entry) cannot be inflated (unzip: \(ExtractionFailure.firstLine(result.errorText)))")
        }
        return result.output
    }

    private func refuseDTD(_ xml: [UInt8]) throws(TextError) {
        if PDFReader.find(Array("<!DOCTYPE".utf8), in: xml[...]) || PDFReader.find(Array("<!ENTITY".utf8), in: xml[...]) {
            throw ExtractionFailure.unreadable("its XML declares a DTD, which Word never writes")
        }
    }
}
