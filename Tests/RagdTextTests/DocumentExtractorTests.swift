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

    @Test func genericTypesDeferToTheFileName() throws {
        #expect(try DocumentExtractor.format(contentType: "application/octet-stream", filename: "README.MD") == .markdown)
        #expect(try DocumentExtractor.format(contentType: nil, filename: "index.htm") == .html)
        #expect(try DocumentExtractor.format(contentType: "", filename: "notes") == .plainText)
        #expect { try DocumentExtractor.format(contentType: "application/octet-stream", filename: "a.bin") }
            throws: { ($0 as? TextError)?.code == .unsupportedMediaType }
    }

    @Test func unsupportedTypesAndCharsetsAreNamed() {
        do {
            _ = try DocumentExtractor.extract(body: [1, 2], contentType: "application/pdf")
            Issue.record("PDF should be unsupported")
        } catch {
            #expect(error.code == .unsupportedMediaType)
            #expect(error.message.contains("application/pdf"))
            #expect(error.message.contains("text/plain, text/markdown, text/html"))
        }
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
