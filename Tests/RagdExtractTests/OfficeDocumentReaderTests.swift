import Foundation
import RagdTesting
import Testing
@testable import RagdExtract
@testable import RagdText

/// PDF and DOCX extraction on files made by real tools at test time (TestDocuments).
@Suite struct OfficeDocumentReaderTests {
    let reader = OfficeDocumentReader()

    func read(_ name: String, _ format: DocumentFormat, reader: OfficeDocumentReader? = nil) throws -> ExtractedDocument {
        try (reader ?? self.reader).read(try TestDocuments.bytes(name), format: format)
    }

    /// The 422 message for a file, or nil if it was read.
    func refusal(_ name: String, _ format: DocumentFormat, reader: OfficeDocumentReader? = nil) throws -> String? {
        do {
            _ = try read(name, format, reader: reader)
            return nil
        } catch let error as TextError {
            #expect(error.code == .unreadableDocument, "\(error)")
            return error.message
        }
    }

    @Test func pdfTextComesPerPageWithTitleAndTable() throws {
        let document = try read("handbook.pdf", .pdf)
        #expect(document.format == .pdf)
        #expect(document.title == "Tidal Observatory Handbook", "from the Info dictionary")
        let pages = try #require(document.pages)
        #expect(pages.pageCount == 4)
        #expect(pages.starts.map(\.page) == [1, 2, 3, 4])
        let text = document.text
        // Paragraphs stay paragraphs, lines are joined, the table is read row by row.
        #expect(text.contains("The observatory measures tides along the northern coast. Every gauge reports its water level"))
        #expect(text.contains("\n\nCalibration happens each spring"))
        #expect(text.contains("Gauge | Location | Depth\nAlpha | North pier | 12\nBravo | Lighthouse rock | 7\nCharlie | Fishing harbour | 4"),
                "\(text)")
        // Each page's text starts where the map says.
        let scalars = Array(text.unicodeScalars)
        func pageText(_ number: Int) -> String {
            let index = pages.starts.firstIndex { $0.page == number }!
            let end = index + 1 < pages.starts.count ? pages.starts[index + 1].offset : scalars.count
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[pages.starts[index].offset..<end])
            return String(view)
        }
        #expect(pageText(2).hasPrefix("2. Gauge inventory"))
        #expect(pageText(2).contains("float switch"))
        #expect(pageText(3).contains("desiccant cartridges"))
        #expect(pageText(4).contains("storm surge warning"))
        #expect(!pageText(2).contains("-2-"), "running page numbers are dropped")
        // Chunks of it name their pages.
        let chunks = try Chunker(size: 200, overlap: 20).chunks(of: text)
        let surge = try #require(chunks.first { $0.text.contains("storm surge") })
        #expect(pages.pages(start: surge.start, end: surge.end)?.first == 4)
    }

    @Test func brokenPDFsAreRefusedNamingWhy() throws {
        #expect(try refusal("encrypted.pdf", .pdf)?.contains("encrypted (a password is needed") == true)
        #expect(try refusal("truncated.pdf", .pdf)?.contains("truncated") == true)
        #expect(try refusal("empty.pdf", .pdf)?.contains("empty (0 bytes)") == true)
        #expect(try refusal("scanned.pdf", .pdf)?.contains("no text layer") == true)
        #expect(try refusal("report.docx", .pdf)?.contains("not a PDF") == true)
        let message = try #require(try refusal("encrypted.pdf", .pdf))
        #expect(message.hasPrefix("This PDF cannot be read: "))
    }

    @Test func corruptPDFIsRefused() throws {
        // Valid envelope, garbage inside: poppler finds no document.
        let bytes = Array("%PDF-1.7\n1 0 obj <</Type /Catalog>> nonsense\ntrailer <<>>\n%%EOF\n".utf8)
        do {
            _ = try reader.read(bytes, format: .pdf)
            Issue.record("a corrupt PDF was read")
        } catch {
            #expect(error.code == .unreadableDocument)
            #expect(error.message.contains("corrupt") || error.message.contains("no text layer"), "\(error.message)")
        }
    }

    @Test func docxHasParagraphsHeadingsListsAndTables() throws {
        let document = try read("report.docx", .docx)
        #expect(document.format == .docx)
        #expect(document.title == "Beekeeping Field Report", "from docProps/core.xml")
        #expect(document.pages == nil)
        #expect(document.text == """
            Hive inspection

            The apiary near the orchard holds twelve hives. Inspections happen every ninth day.

            Varroa mites were counted on sticky boards under each hive.

            - Smoke the entrance gently

            - Lift the frames one by one

            Hive | Queen | Mites
            Amber | marked blue | 3
            Basil | unmarked | 11

            Honey harvest

            The summer harvest yielded forty kilograms of linden honey.
            """)
    }

    @Test func aSlowParserIsStoppedByTheClock() throws {
        let hurried = OfficeDocumentReader(limits: ExtractionLimits(sandbox: SandboxLimits(seconds: 0.1)))
        let started = Date()
        #expect(try refusal("long.pdf", .pdf, reader: hurried)?.contains("reading it took longer than 0.1 s") == true)
        #expect(Date().timeIntervalSince(started) < 5)
        let document = try read("long.pdf", .pdf)
        #expect(document.pages?.pageCount == 121 && document.text.contains("section 119"))
    }

    @Test func textBeyondTheLimitIsRefused() throws {
        let small = OfficeDocumentReader(limits: ExtractionLimits(textBytes: 100))
        #expect(try refusal("report.docx", .docx, reader: small)?.contains("its text is larger than 100 bytes") == true)
        #expect(try refusal("handbook.pdf", .pdf, reader: small)?.contains("its text is larger than 100 bytes") == true)
    }

    @Test func brokenDocxFilesAreRefusedNamingWhy() throws {
        #expect(try refusal("notzip.docx", .docx)?.contains("not a zip archive") == true)
        #expect(try refusal("nobody.docx", .docx)?.contains("has no word/document.xml") == true)
        #expect(try refusal("empty.pdf", .docx)?.contains("empty (0 bytes)") == true)
        #expect(try refusal("handbook.pdf", .docx)?.contains("not a zip archive") == true)
    }

    @Test func decompressionBombsAreRefused() throws {
        // Declared honestly: refused from the directory alone, nothing inflated.
        let honest = try #require(try refusal("bomb.docx", .docx))
        #expect(honest.contains("over the 200 MiB limit"), "\(honest)")
        // Declared as 1 KiB: inflated, and cut off at the declared size.
        let liar = try #require(try refusal("liar.docx", .docx))
        #expect(liar.contains("inflates to more than the 1024 bytes its directory declares"), "\(liar)")
    }

    @Test func dtdsAreRefused() throws {
        let directory = try TestSupport.makeTemporaryDirectory("ragd-dtd")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let xml = """
            <?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
            <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>
            """
        try FileManager.default.createDirectory(atPath: directory + "/word", withIntermediateDirectories: true)
        try xml.write(toFile: directory + "/word/document.xml", atomically: true, encoding: .utf8)
        let zipped = try run("/bin/sh", ["-c", "cd \"$1\" && zip -q -r lol.docx word", "sh", directory])
        #expect(zipped.status == 0, "\(zipped.output)")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/lol.docx")))
        #expect { try reader.read(bytes, format: .docx) } throws: { error in
            (error as? TextError)?.message.contains("declares a DTD") == true
        }
    }
}
