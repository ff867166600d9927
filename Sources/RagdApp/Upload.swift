import Foundation
import RagdConfig
import RagdCore
import RagdExtract
import RagdHTTP
import RagdPipeline
import RagdStore
import RagdText

/// Reads the document a client uploaded (an `UploadedDocument`, validated, ready to ingest
/// or queue): JSON `{title, text, source?, metadata?}`, a raw text/markdown/html body
/// (title and source from the query string), a `multipart/form-data` file upload, or one
/// file of a batch (`BatchUpload`).
enum Upload {
    static let maxTitleLength = 512
    static let maxSourceLength = 2048

    /// PDF and DOCX: parsers in limited child processes (RagdExtract), their text held to
    /// the limit a text body has.
    static func binaryReader(_ settings: Settings) -> OfficeDocumentReader {
        OfficeDocumentReader(limits: ExtractionLimits(textBytes: settings.maxBodyBytes))
    }

    /// The parts of a `multipart/form-data` body, or nil for any other content type.
    static func multipartParts(_ request: Request) throws -> [MultipartPart]? {
        guard mediaType(request) == "multipart/form-data" else { return nil }
        do {
            return try MultipartFormData.parse(request.body, contentType: request.headers["content-type"] ?? "")
        } catch {
            throw TextProblems.problem(error)
        }
    }

    /// The upload of a single-document request (`form`: its parts, from `multipartParts`).
    static func parse(_ request: Request, form: [MultipartPart]? = nil, reader: BinaryDocumentReader? = nil) throws -> UploadedDocument {
        let contentType = request.headers["content-type"] ?? ""
        let essence = mediaType(request)
        if essence == "application/json" || essence.hasSuffix("+json") {
            let body = try JSONBody(request)
            try body.allowOnly(["title", "text", "source", "metadata"])
            let title = try body.string("title", required: true, maxLength: maxTitleLength, allowEmpty: false)!
            let raw = try body.string("text", required: true, allowEmpty: false, allowNUL: true)!
            let source = try body.string("source", maxLength: maxSourceLength)
            let metadata = try MetadataJSON.text(try body.object("metadata"))
            let text = DocumentExtractor.extract(text: raw, format: .plainText).text
            guard !text.isEmpty else { throw JSONBody.invalid("text", "must not be empty") }
            // Read for raw bodies only, but held to the same rules, so a bad one is never silently dropped.
            _ = try optionalQuery(request, "title", maxLength: maxTitleLength)
            _ = try optionalQuery(request, "source", maxLength: maxSourceLength)
            return UploadedDocument(title: title.trimmingCharacters(in: .whitespacesAndNewlines), source: source,
                                    contentType: "text/plain", text: text, metadataJSON: metadata)
        }
        if essence == "multipart/form-data" {
            return try parseMultipart(form ?? multipartParts(request) ?? [], reader: reader)
        }
        let extracted: ExtractedDocument
        do {
            extracted = try DocumentExtractor.extract(body: request.body, contentType: contentType.isEmpty ? nil : contentType,
                                                      binaryReader: reader)
        } catch {
            throw TextProblems.problem(error)
        }
        let title = try optionalQuery(request, "title", maxLength: maxTitleLength) ?? boundedTitle(extracted.title) ?? derivedTitle(extracted.text)
        guard !extracted.text.isEmpty else { throw JSONBody.invalid("body", "contains no text") }
        return UploadedDocument(title: title, source: try optionalQuery(request, "source", maxLength: maxSourceLength),
                                contentType: extracted.format.mediaType, text: extracted.text, metadataJSON: "{}",
                                pages: extracted.pages)
    }

    static func parseMultipart(_ parts: [MultipartPart], reader: BinaryDocumentReader?) throws -> UploadedDocument {
        guard let file = parts.first(where: { $0.name == "file" }) ?? parts.first(where: { $0.filename != nil }) else {
            throw JSONBody.invalid("file", "is required (a form part named file)")
        }
        // A second file used to be dropped without a word; several files are the batch form.
        let fields: Set<String> = ["title", "source", "metadata"]
        if parts.filter({ $0.name == "file" || ($0.filename != nil && !fields.contains($0.name)) }).count > 1 {
            throw JSONBody.invalid("file", "must be one file; several files are the batch form (each part named files, with async=true)")
        }
        let known: Set<String> = ["file", "title", "source", "metadata"]
        if let unknown = parts.first(where: { !known.contains($0.name) && $0.filename == nil }) {
            throw JSONBody.invalid(unknown.name, "is not a known field (expected file, title, source, metadata)")
        }
        func field(_ name: String) throws -> String? { try formField(parts, name) }
        if let filename = file.filename, filename.utf8.contains(0) {
            throw JSONBody.invalid("file", "the file name " + JSONBody.nulMessage)
        }
        let extracted: ExtractedDocument
        do {
            extracted = try DocumentExtractor.extract(body: file.body, contentType: file.contentType, filename: file.filename,
                                                      binaryReader: reader)
        } catch {
            throw TextProblems.problem(error)
        }
        guard !extracted.text.isEmpty else { throw JSONBody.invalid("file", "contains no text") }
        let metadata = try metadataField(parts)
        let title = try field("title").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let title, title.count > maxTitleLength { throw JSONBody.invalid("title", "must be at most \(maxTitleLength) characters") }
        let source = try field("source") ?? file.filename
        return UploadedDocument(title: (title?.isEmpty == false ? title : nil) ?? boundedTitle(extracted.title)
                                    ?? boundedTitle(file.filename) ?? derivedTitle(extracted.text),
                                source: source.map { String($0.prefix(maxSourceLength)) }, contentType: extracted.format.mediaType,
                                text: extracted.text, metadataJSON: metadata, pages: extracted.pages)
    }

    /// The text of the form field `name` (a part without a file name), or nil.
    static func formField(_ parts: [MultipartPart], _ name: String) throws -> String? {
        guard let part = parts.first(where: { $0.name == name && $0.filename == nil }) else { return nil }
        let text: String
        do { text = try UTF8Text.decode(part.body) } catch { throw TextProblems.problem(error) }
        if text.utf8.contains(0) { throw JSONBody.invalid(name, JSONBody.nulMessage) }
        return text
    }

    /// The form field `metadata` (a JSON object) as JSON text, `{}` when absent.
    static func metadataField(_ parts: [MultipartPart]) throws -> String {
        guard let text = try formField(parts, "metadata") else { return "{}" }
        guard let object = try? JSONBody(bytes: Array(text.utf8)).object else {
            throw JSONBody.invalid("metadata", "must be a JSON object")
        }
        return try MetadataJSON.text(object)
    }

    /// A title the caller did not give (the HTML title, the file name), cut to the limit a
    /// given title is held to.
    static func boundedTitle(_ title: String?) -> String? {
        guard let title = title?.trimmingCharacters(in: .whitespacesAndNewlines), !title.isEmpty else { return nil }
        return title.count > maxTitleLength ? String(title.prefix(maxTitleLength - 3)) + "..." : title
    }

    /// The first line of the text, shortened: better than "untitled" in a list.
    static func derivedTitle(_ text: String) -> String {
        let line = text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? "Untitled"
        return line.count > 120 ? String(line.prefix(117)) + "..." : line
    }

    /// `Content-Type` without its parameters, lower-cased.
    private static func mediaType(_ request: Request) -> String {
        let contentType = request.headers["content-type"] ?? ""
        return contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    private static func optionalQuery(_ request: Request, _ name: String, maxLength: Int) throws -> String? {
        guard let value = request.queryValue(name)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        guard value.count <= maxLength else { throw JSONBody.invalid(name, "must be at most \(maxLength) characters") }
        if value.utf8.contains(0) { throw JSONBody.invalid(name, JSONBody.nulMessage) }
        return value
    }
}
