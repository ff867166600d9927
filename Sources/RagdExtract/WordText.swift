import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The text of a WordprocessingML body (`word/document.xml`) through a SAX parse
/// (FoundationXML's XMLParser over libxml2):
///
/// * each paragraph (`w:p`) is a paragraph of the text; runs' text (`w:t`), tabs and
///   breaks are kept, field codes (`w:instrText`) and deleted text (`w:delText`) are not;
/// * headings (`Heading1`...`Heading9`, `Title`) stand as paragraphs of their own, the
///   first `Title` paragraph also becomes the suggested title;
/// * list items (`w:numPr`, or a `List...` style) start with "- ";
/// * a table becomes one line per row with the cells joined by " | " (paragraphs inside a
///   cell, and nested tables, are joined by spaces).
final class WordText: NSObject, XMLParserDelegate {
    private(set) var paragraphs: [String] = []
    private(set) var titleParagraph: String?
    /// Set when the text passed `maxTextBytes`: parsing stopped there, so a document of
    /// endless text costs no more than the limit.
    private(set) var tooLarge = false
    private var textBytes = 0
    private let maxTextBytes: Int
    private weak var parser: XMLParser?

    init(maxTextBytes: Int = .max) {
        self.maxTextBytes = maxTextBytes
    }

    private var inText = false
    private var paragraph = ""
    private var paragraphDepth = 0
    private var isListItem = false
    private var style = ""
    /// Open tables: rows so far, cells of the current row, text of the current cell.
    private var tables: [(rows: [String], cells: [String], cell: String)] = []

    /// Parses `xml`; false when it is not well-formed.
    func parse(_ xml: Data) -> Bool {
        let parser = XMLParser(data: xml)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = self
        self.parser = parser
        return parser.parse() || tooLarge
    }

    private static func value(_ attributes: [String: String]) -> String? {
        attributes.first { $0.key == "val" || $0.key.hasSuffix(":val") }?.value
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "p":
            paragraphDepth += 1
            if paragraphDepth == 1 { paragraph = ""; isListItem = false; style = "" }
        case "t":
            inText = true
        case "tab", "ptab":
            if paragraphDepth > 0 { paragraph += "\t" }
        case "br", "cr":
            if paragraphDepth > 0 { paragraph += "\n" }
        case "noBreakHyphen":
            paragraph += "-"
        case "pStyle":
            style = Self.value(attributes) ?? ""
        case "numPr":
            isListItem = true
        case "tbl":
            tables.append(([], [], ""))
        case "tr":
            if !tables.isEmpty { tables[tables.count - 1].cells = [] }
        case "tc":
            if !tables.isEmpty { tables[tables.count - 1].cell = "" }
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "t":
            inText = false
        case "p":
            paragraphDepth -= 1
            if paragraphDepth == 0 { endParagraph() }
        case "tc":
            guard !tables.isEmpty else { break }
            let cell = tables[tables.count - 1].cell.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            tables[tables.count - 1].cells.append(cell)
        case "tr":
            guard !tables.isEmpty else { break }
            let cells = tables[tables.count - 1].cells
            if cells.contains(where: { !$0.isEmpty }) { tables[tables.count - 1].rows.append(cells.joined(separator: " | ")) }
        case "tbl":
            guard let table = tables.popLast() else { break }
            if tables.isEmpty {
                if !table.rows.isEmpty { paragraphs.append(table.rows.joined(separator: "\n")) }
            } else {
                // A table in a cell: its rows become part of the outer cell's text.
                tables[tables.count - 1].cell += " " + table.rows.joined(separator: " ")
            }
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { paragraph += string }
    }

    private func endParagraph() {
        let text = paragraph.trimmingCharacters(in: .whitespacesAndNewlines)
        paragraph = ""
        guard !text.isEmpty else { return }
        textBytes += text.utf8.count + 2
        if textBytes > maxTextBytes {
            tooLarge = true
            parser?.abortParsing()
            return
        }
        if !tables.isEmpty {
            tables[tables.count - 1].cell += (tables[tables.count - 1].cell.isEmpty ? "" : " ") + text
            return
        }
        if style == "Title" && titleParagraph == nil { titleParagraph = text }
        // Numbering in the paragraph (Word) or in a list style (ListBullet, ListNumber).
        paragraphs.append(isListItem || style.hasPrefix("List") ? "- " + text : text)
    }
}

/// `dc:title` of `docProps/core.xml`.
final class CoreProperties: NSObject, XMLParserDelegate {
    private(set) var title: String?
    private var inTitle = false
    private var text = ""

    func parse(_ xml: Data) {
        let parser = XMLParser(data: xml)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = self
        _ = parser.parse()
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == "title" && title == nil { inTitle = true; text = "" }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "title" && inTitle {
            inTitle = false
            title = text
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inTitle { text += string }
    }
}
