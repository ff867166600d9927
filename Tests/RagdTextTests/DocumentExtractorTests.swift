import Testing
@testable import RagdText

@Suite struct DocumentExtractorTests {
    @Test func plainTextIsNormalized() throws {
        let document = try DocumentExtractor.extract(body: Array("Hello\r\n\r\n\r\nworld\u{0}".utf8), contentType: "text/plain; charset=UTF-8")
        #expect(document == ExtractedDocument(text: "Hello\n\nworld", title: nil, format: .plainText))
        #expect(try DocumentExtractor.extract(body: Array("x".utf8), contentType: nil).format == .plainText)
        #expect(try DocumentExtractor.extract(body: Array("x".utf8), contentType: "text/plain; charset=us-ascii").text == "x")
    }

    @Test func markdownKeepsItsTextAndSuggestsATitle() throws {
        let markdown = "# Install Guide\n\n* step one\n* step two\n\n```sh\nmake\n```"
        let document = try DocumentExtractor.extract(body: Array(markdown.utf8), contentType: "text/markdown")
        #expect(document.text == markdown)
        #expect(document.title == "Install Guide")
        #expect(document.format == .markdown)
    }

    @Test func htmlIsConvertedWithItsTitle() throws {
        let html = "<html><head><title>Release  notes</title></head><body><h1>v2</h1><p>Faster &amp; safer.</p></body></html>"
        let document = try DocumentExtractor.extract(body: Array(html.utf8), contentType: "text/html;charset=utf-8")
        #expect(document == ExtractedDocument(text: "v2\n\nFaster & safer.", title: "Release notes", format: .html))
    }

    @Test func pdfAndDocxAreKnownByTypeAndFileName() throws {
        #expect(try DocumentExtractor.format(contentType: "application/pdf") == .pdf)
        #expect(try DocumentExtractor.format(contentType: "application/pdf; charset=binary") == .pdf, "a charset means nothing to a PDF")
        #expect(try DocumentExtractor.format(contentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document") == .docx)
        #expect(try DocumentExtractor.format(contentType: "application/octet-stream", filename: "Scan.PDF") == .pdf)
        #expect(try DocumentExtractor.format(contentType: nil, filename: "report.docx") == .docx)
        #expect(DocumentFormat.pdf.isBinary && DocumentFormat.docx.isBinary && !DocumentFormat.html.isBinary)
    }

    @Test func pagesAreMappedToOffsets() {
        let (text, map) = PagedText.assemble([(1, "First  page\r\n"), (2, "   \n"), (3, "Third\n\n\npage")], pageCount: 4)
        #expect(text == "First  page\n\nThird\n\npage")
        #expect(map.pageCount == 4)
        #expect(map.starts == [PageMap.Start(offset: 0, page: 1), PageMap.Start(offset: 13, page: 3)], "page 2 has no text")
        #expect(map.page(at: 0) == 1 && map.page(at: 12) == 1 && map.page(at: 13) == 3)
        #expect(map.pages(start: 6, end: 18).map { [$0.first, $0.last] } == [1, 3])
        #expect(map.pages(start: 13, end: 18).map { [$0.first, $0.last] } == [3, 3])
        #expect(PageMap(starts: [], pageCount: 0).pages(start: 0, end: 5) == nil)
    }

    @Test func genericTypesDeferToTheFileName() throws {
        #expect(try DocumentExtractor.format(contentType: "application/octet-stream", filename: "README.MD") == .markdown)
        #expect(try DocumentExtractor.format(contentType: nil, filename: "index.htm") == .html)
        #expect(try DocumentExtractor.format(contentType: "", filename: "notes") == .plainText)
        #expect { try DocumentExtractor.format(contentType: "application/octet-stream", filename: "a.bin") }
            throws: { ($0 as? TextError)?.code == .unsupportedMediaType }
    }

    @Test func unsupportedTypesAndCharsetsAreNamed() {
        do {
            _ = try DocumentExtractor.extract(body: [1, 2], contentType: "image/png")
            Issue.record("PNG should be unsupported")
        } catch {
            #expect(error.code == .unsupportedMediaType)
            #expect(error.message.contains("image/png"))
            #expect(error.message.contains("text/plain, text/markdown, text/html, application/pdf, "
                                           + "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
        }
        // PDF and DOCX need a binary reader (RagdExtract); without one they are refused.
        #expect { try DocumentExtractor.extract(body: Array("%PDF-1.4".utf8), contentType: "application/pdf") }
            throws: { ($0 as? TextError)?.code == .unsupportedMediaType }
        do {
            _ = try DocumentExtractor.extract(body: [0x63, 0x61, 0x66, 0xE9], contentType: "text/html; charset=ISO-8859-1")
            Issue.record("Latin-1 should be unsupported")
        } catch {
            #expect(error.code == .unsupportedCharset)
            #expect(error.message.contains("iso-8859-1"))
        }
        #expect { try DocumentExtractor.format(contentType: "text/plain; charset=\"utf-16\"") }
            throws: { ($0 as? TextError)?.code == .unsupportedCharset }
        #expect { try DocumentExtractor.format(contentType: "image/png\r\nX-Injected: 1") }
            throws: { error in
                guard let error = error as? TextError else { return false }
                return error.code == .unsupportedMediaType && !error.message.contains("\r") && !error.message.contains("\n")
            }
    }

    @Test func invalidUTF8ReportsTheOffset() {
        do {
            _ = try DocumentExtractor.extract(body: [0x63, 0x61, 0x66, 0xE9, 0x21], contentType: "text/plain")
            Issue.record("should fail")
        } catch {
            #expect(error.code == .invalidUTF8)
            #expect(error.byteOffset == 3)
        }
    }

    @Test func titlesAreOneBoundedLine() {
        #expect(DocumentExtractor.cleanTitle("  A\n\ttitle   here ") == "A title here")
        #expect(DocumentExtractor.cleanTitle(" \n ") == nil)
        let long = String(repeating: "word ", count: 100)
        let cut = DocumentExtractor.cleanTitle(long)!
        #expect(cut.unicodeScalars.count <= DocumentExtractor.maxTitleLength)
        #expect(cut.hasSuffix("word"))
    }
}
