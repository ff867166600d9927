import Foundation
import Logging
import RagdAuth
import RagdCore
import RagdExtract
import RagdHTTP
import RagdPipeline
import RagdStore
import RagdText

/// `/v1/documents`: ingest, list, read, chunks, delete. Every call is scoped to the
/// caller's tenant; another tenant's document answers exactly like a missing one (404).
enum DocumentRoutes {
    static let maxTitleLength = 512
    static let maxSourceLength = 2048
    static let maxMetadataBytes = 64 * 1024

    static func register(on router: inout Router, context: APIContext) {
        let guardian = context.guardian

        router.add("POST", "/v1/documents", guardedBy: guardian, anyOf: [AuthScope.documentsWrite]) { request, principal in
            let background = try queryBool(request, "async") ?? false
            let parsing = Clock.monotonicNanoseconds()
            let form = try multipartParts(request)
            if let form, BatchUpload.isBatch(form) {
                // Several files: only as background jobs, so no serving thread embeds a
                // whole batch while nginx and the client wait.
                guard background else {
                    throw JSONBody.invalid("files", "several files (parts named files) are accepted only with async=true")
                }
                let uploads = try BatchUpload.parse(form, reader: binaryReader(context), limits: BatchUpload.Limits(
                    textBytes: context.settings.maxBodyBytes))
                return try JobRoutes.enqueueBatch(uploads, tenant: principal.tenant, context: context)
            }
            let upload = try parseUpload(request, form: form, reader: binaryReader(context))
            let parsed = Clock.monotonicNanoseconds()
            if background { return try JobRoutes.enqueue(upload, tenant: principal.tenant, context: context) }
            let result = try context.threadBackends().ingestor.ingest(IngestRequest(
                tenant: principal.tenant, title: upload.title, source: upload.source, contentType: upload.contentType,
                text: upload.text, metadataJSON: upload.metadataJSON, pages: upload.pages))
            var fields = documentFields(result.document)
            fields.append(("duplicate", result.duplicate ? "true" : "false"))
            var timings = result.timings
            // PDF and Word: the time their readers took (the child processes included).
            if DocumentFormat(mediaType: upload.contentType)?.isBinary == true {
                timings.add("extract", milliseconds: Double(parsed - parsing) / 1e6)
            }
            fields.append(("timings", SearchRoutes.timingsJSON(timings)))
            var response = Response.json(JSONText.object(fields), status: result.duplicate ? 200 : 201)
            response.headers.set("Location", "/v1/documents/\(result.document.id)")
            return response
        }

        router.add("GET", "/v1/documents", guardedBy: guardian, anyOf: [AuthScope.documentsRead]) { request, principal in
            let limit = try queryInt(request, "limit", default: 20, range: 1...100)
            let after = try request.queryValue("cursor").map(Cursor.decode)
            let documents = try context.threadBackends().store.listDocuments(tenant: principal.tenant, limit: limit, after: after)
            let next = documents.count == limit ? documents.last.map { Cursor.encode(createdAt: $0.createdAt, id: $0.id) } : nil
            return Response.json(JSONText.object([
                ("data", "[" + documents.map { JSONText.object(documentFields($0)) }.joined(separator: ",") + "]"),
                ("next_cursor", next.map(JSONText.quoted) ?? "null"),
            ]))
        }

        router.add("GET", "/v1/documents/{id}", guardedBy: guardian, anyOf: [AuthScope.documentsRead]) { request, principal in
            let id = try documentID(request)
            guard let document = try context.threadBackends().store.document(id: id, tenant: principal.tenant) else {
                throw Problem.notFound("No document \(id).")
            }
            return Response.json(JSONText.object(documentFields(document)))
        }

        router.add("GET", "/v1/documents/{id}/chunks", guardedBy: guardian, anyOf: [AuthScope.documentsRead]) { request, principal in
            let id = try documentID(request)
            let limit = try queryInt(request, "limit", default: 100, range: 1...1000)
            let offset = try queryInt(request, "offset", default: 0, range: 0...1_000_000)
            let store = try context.threadBackends().store
            guard try store.document(id: id, tenant: principal.tenant) != nil else {
                throw Problem.notFound("No document \(id).")
            }
            let chunks = try store.chunks(documentID: id, tenant: principal.tenant, limit: limit, offset: offset)
            return Response.json(JSONText.object([
                ("document_id", JSONText.quoted(id)),
                ("data", "[" + chunks.map { chunk in
                    JSONText.object([("id", JSONText.quoted(chunk.id)), ("ordinal", String(chunk.ordinal)),
                                     ("text", JSONText.quoted(chunk.text)),
                                     ("page_start", chunk.pages.map { String($0.start) } ?? "null"),
                                     ("page_end", chunk.pages.map { String($0.end) } ?? "null")])
                }.joined(separator: ",") + "]"),
                ("next_offset", chunks.count == limit ? String(offset + limit) : "null"),
            ]))
        }

        router.add("DELETE", "/v1/documents/{id}", guardedBy: guardian, anyOf: [AuthScope.documentsWrite]) { request, principal in
            let id = try documentID(request)
            guard try context.threadBackends().ingestor.delete(documentID: id, tenant: principal.tenant) else { throw Problem.notFound("No document \(id).") }
            return Response(status: 204)
        }
    }

    // MARK: upload parsing

    struct Upload {
        var title: String
        var source: String?
        var contentType: String
        var text: String
        var metadataJSON: String
        var pages: PageMap? = nil
    }

    /// PDF and DOCX: parsers in limited child processes (RagdExtract), their text held to
    /// the limit a text body has.
    static func binaryReader(_ context: APIContext) -> OfficeDocumentReader {
        OfficeDocumentReader(limits: ExtractionLimits(textBytes: context.settings.maxBodyBytes))
    }

    /// The parts of a `multipart/form-data` body, or nil for any other content type.
    static func multipartParts(_ request: Request) throws -> [MultipartPart]? {
        let contentType = request.headers["content-type"] ?? ""
        let essence = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard essence == "multipart/form-data" else { return nil }
        do {
            return try MultipartFormData.parse(request.body, contentType: contentType)
        } catch {
            throw textProblem(error)
        }
    }

    /// JSON `{title, text, source?, metadata?}`, a raw text/markdown/html body (title and
    /// source from the query string), or a multipart/form-data file upload (`form`: its
    /// parts, from `multipartParts`).
    static func parseUpload(_ request: Request, form: [MultipartPart]? = nil, reader: BinaryDocumentReader? = nil) throws -> Upload {
        let contentType = request.headers["content-type"] ?? ""
        let essence = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if essence == "application/json" || essence.hasSuffix("+json") {
            let body = try JSONBody(request)
            try body.allowOnly(["title", "text", "source", "metadata"])
            let title = try body.string("title", required: true, maxLength: maxTitleLength, allowEmpty: false)!
            let raw = try body.string("text", required: true, allowEmpty: false, allowNUL: true)!
            let source = try body.string("source", maxLength: maxSourceLength)
            let metadata = try metadataJSON(try body.object("metadata"))
            let text = DocumentExtractor.extract(text: raw, format: .plainText).text
            guard !text.isEmpty else { throw JSONBody.invalid("text", "must not be empty") }
            // Read for raw bodies only, but held to the same rules, so a bad one is never silently dropped.
            _ = try optionalQuery(request, "title", maxLength: maxTitleLength)
            _ = try optionalQuery(request, "source", maxLength: maxSourceLength)
            return Upload(title: title.trimmingCharacters(in: .whitespacesAndNewlines), source: source,
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
            throw textProblem(error)
        }
        let title = try optionalQuery(request, "title", maxLength: maxTitleLength) ?? boundedTitle(extracted.title) ?? derivedTitle(extracted.text)
        guard !extracted.text.isEmpty else { throw JSONBody.invalid("body", "contains no text") }
        return Upload(title: title, source: try optionalQuery(request, "source", maxLength: maxSourceLength),
                      contentType: extracted.format.mediaType, text: extracted.text, metadataJSON: "{}", pages: extracted.pages)
    }

    static func parseMultipart(_ parts: [MultipartPart], reader: BinaryDocumentReader?) throws -> Upload {
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
            throw textProblem(error)
        }
        guard !extracted.text.isEmpty else { throw JSONBody.invalid("file", "contains no text") }
        let metadata = try metadataField(parts)
        let title = try field("title").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let title, title.count > maxTitleLength { throw JSONBody.invalid("title", "must be at most \(maxTitleLength) characters") }
        let source = try field("source") ?? file.filename
        return Upload(title: (title?.isEmpty == false ? title : nil) ?? boundedTitle(extracted.title) ?? boundedTitle(file.filename)
                          ?? derivedTitle(extracted.text),
                      source: source.map { String($0.prefix(maxSourceLength)) }, contentType: extracted.format.mediaType,
                      text: extracted.text, metadataJSON: metadata, pages: extracted.pages)
    }

    /// The text of the form field `name` (a part without a file name), or nil.
    static func formField(_ parts: [MultipartPart], _ name: String) throws -> String? {
        guard let part = parts.first(where: { $0.name == name && $0.filename == nil }) else { return nil }
        let text: String
        do { text = try UTF8Text.decode(part.body) } catch { throw textProblem(error) }
        if text.utf8.contains(0) { throw JSONBody.invalid(name, JSONBody.nulMessage) }
        return text
    }

    /// The form field `metadata` (a JSON object) as JSON text, `{}` when absent.
    static func metadataField(_ parts: [MultipartPart]) throws -> String {
        guard let text = try formField(parts, "metadata") else { return "{}" }
        guard let object = try? JSONBody(bytes: Array(text.utf8)).object else {
            throw JSONBody.invalid("metadata", "must be a JSON object")
        }
        return try metadataJSON(object)
    }

    static func metadataJSON(_ object: [String: Any]?) throws -> String {
        guard let object else { return "{}" }
        try refuseNUL(in: object, field: "metadata")
        let text = JSONBody.text(object)
        guard text.utf8.count <= maxMetadataBytes else { throw JSONBody.invalid("metadata", "must be at most \(maxMetadataBytes) bytes of JSON") }
        return text
    }

    /// 422 when a key or string anywhere in a JSON value holds U+0000, which PostgreSQL's
    /// jsonb cannot store.
    static func refuseNUL(in value: Any, field: String) throws {
        switch value {
        case let text as String:
            if text.utf8.contains(0) { throw JSONBody.invalid(field, JSONBody.nulMessage) }
        case let object as [String: Any]:
            for (key, member) in object {
                if key.utf8.contains(0) { throw JSONBody.invalid(field, "keys " + JSONBody.nulMessage) }
                try refuseNUL(in: member, field: field)
            }
        case let list as [Any]:
            for member in list { try refuseNUL(in: member, field: field) }
        default:
            break
        }
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

    static func textProblem(_ error: TextError) -> Problem {
        switch error.code {
        case .unsupportedMediaType, .unsupportedCharset:
            return Problem(status: 415, code: "unsupported-media-type", title: "Unsupported Media Type", detail: error.message)
        case .invalidUTF8:
            return Problem.badRequest(error.message)
        case .unreadableDocument:
            return Problem(status: 422, code: "unreadable-document", title: "Unprocessable Content", detail: error.message)
        case .extractorFailed:
            // The cause (a tool missing, no temporary directory) is the operator's to see.
            Logger(label: "ragd.extract").error("document reader failed", metadata: ["error": .string(error.message)])
            return Problem(status: 500, code: "extractor-failed", title: "Internal Server Error",
                           detail: "The document reader could not run on this server.")
        default:
            return Problem(status: 400, code: "malformed-body", title: "Bad Request", detail: error.message)
        }
    }

    static func textProblem(_ error: Error) -> Problem {
        (error as? TextError).map(textProblem) ?? Problem.badRequest("The body could not be read.")
    }

    // MARK: small helpers

    static func documentID(_ request: Request) throws -> String {
        let id = request.pathParameters["id"] ?? ""
        // Not a UUID cannot exist: the same 404 as a missing or foreign document.
        guard Identifier.isUUID(id) else { throw Problem.notFound("No document \(id.prefix(64)).") }
        return id.lowercased()
    }

    static func queryInt(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.queryValue(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw JSONBody.invalid(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func queryBool(_ request: Request, _ name: String) throws -> Bool? {
        guard let text = request.queryValue(name) else { return nil }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw JSONBody.invalid(name, "must be true or false")
        }
    }

    static func optionalQuery(_ request: Request, _ name: String, maxLength: Int) throws -> String? {
        guard let value = request.queryValue(name)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        guard value.count <= maxLength else { throw JSONBody.invalid(name, "must be at most \(maxLength) characters") }
        if value.utf8.contains(0) { throw JSONBody.invalid(name, JSONBody.nulMessage) }
        return value
    }

    static func documentFields(_ document: DocumentRecord) -> [(String, String)] {
        [
            ("id", JSONText.quoted(document.id)),
            ("title", JSONText.quoted(document.title)),
            ("source", document.source.map(JSONText.quoted) ?? "null"),
            ("content_type", JSONText.quoted(document.contentType)),
            ("sha256", JSONText.quoted(document.sha256)),
            ("metadata", document.metadataJSON), // jsonb as PostgreSQL printed it: valid JSON
            ("status", JSONText.quoted(document.status)),
            ("chunks", String(document.chunkCount)),
            ("bytes", String(document.byteSize)),
            ("pages", document.pageCount.map(String.init) ?? "null"),
            ("created_at", JSONText.quoted(document.createdAt)),
            ("updated_at", JSONText.quoted(document.updatedAt)),
        ]
    }
}

/// Opaque pagination cursors: base64url of "created_at|id", validated on the way back.
enum Cursor {
    static func encode(createdAt: String, id: String) -> String {
        Data("\(createdAt)|\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) throws -> (createdAt: String, id: String) {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard cursor.count <= 200, let data = Data(base64Encoded: base64),
              let text = String(data: data, encoding: .utf8) else { throw invalid() }
        let parts = text.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2, Identifier.isUUID(parts[1]), isTimestamp(parts[0]) else { throw invalid() }
        return (parts[0], parts[1])
    }

    /// `2026-11-27T07:01:30.123456Z` naming a real instant (what PostgreSQL printed), so
    /// that a forged cursor with month 99 is a 422 here, not a database error.
    static func isTimestamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 27 else { return false }
        for (index, byte) in bytes.enumerated() {
            let expected: UInt8? = [4: UInt8(ascii: "-"), 7: UInt8(ascii: "-"), 10: UInt8(ascii: "T"), 13: UInt8(ascii: ":"),
                                    16: UInt8(ascii: ":"), 19: UInt8(ascii: "."), 26: UInt8(ascii: "Z")][index]
            if let expected { if byte != expected { return false } } else if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { return false }
        }
        func number(_ from: Int, _ count: Int) -> Int { bytes[from..<from + count].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } }
        let (year, month, day) = (number(0, 4), number(5, 2), number(8, 2))
        guard year >= 1, (1...12).contains(month), number(11, 2) < 24, number(14, 2) < 60, number(17, 2) < 60 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    private static func invalid() -> Problem { JSONBody.invalid("cursor", "is not a cursor this server issued") }
}
