import Foundation
import RagdCore
import RagdHTTP
import RagdStore
import RagdText

/// The batch form of a background upload: `POST /v1/documents?async=true` with a
/// `multipart/form-data` body whose file parts are all named `files`. Every file is read
/// and validated before anything is queued; the first part that fails answers for the
/// whole request (its problem names the part) and no job is created.
enum BatchUpload {
    /// What a batch may cost beyond its body (the body itself is held to `MAX_BODY_BYTES`
    /// and nginx's 50 MiB, its parts to `MultipartFormData.Limits`: 64).
    struct Limits {
        /// Text extracted from all the files together, in bytes: a zip or PDF can hold
        /// much more text than its size, and one request must not hold more in memory (or
        /// queue more) than a single upload may. Default: `MAX_BODY_BYTES`.
        var textBytes: Int
        /// Wall time spent reading the files (PDF and Word parsers included), checked after
        /// each file. Each parser is already bounded by 30 s, but 64 slow files in a row
        /// would hold a serving thread past `REQUEST_TIMEOUT`, which kills the worker.
        /// Default: 60 s.
        var readingSeconds: Double = 60
    }

    /// The field naming the files of a batch.
    static let fileField = "files"

    /// A body is a batch when any of its parts is named `files`, even a single one: the
    /// answer is then always a list.
    static func isBatch(_ parts: [MultipartPart]) -> Bool {
        parts.contains { $0.name == fileField }
    }

    /// Reads every file of the batch, in order. Besides the `files` parts only the
    /// `metadata` field (a JSON object given to every document) and the `sources` field
    /// are accepted; a file's title is its own (HTML title, PDF or Word title) or its file
    /// name, and its source is its entry in `sources`, else its file name.
    static func parse(_ parts: [MultipartPart], reader: BinaryDocumentReader?, limits: Limits) throws -> [UploadedDocument] {
        for part in parts where part.name != fileField {
            switch part.name {
            case "metadata", "sources":
                guard part.filename == nil else { throw JSONBody.invalid(part.name, "must be a form field (JSON text), not a file") }
                continue
            case "file":
                throw JSONBody.invalid("file", "cannot be mixed with files: name every file of a batch files")
            case "title", "source":
                throw JSONBody.invalid(part.name, "is not accepted in the batch form: each document's \(part.name) comes from its file")
            default:
                throw JSONBody.invalid(part.name, "is not a known field of the batch form (expected files, metadata, sources)")
            }
        }
        let metadata = try Upload.metadataField(parts)
        let files = parts.filter { $0.name == fileField }
        let sources = try sourcesField(parts, files: files.count)
        let started = Clock.monotonicNanoseconds()
        var textBytes = 0
        var uploads: [UploadedDocument] = []
        for (index, file) in files.enumerated() {
            func refuse(_ problem: Problem) -> Problem { partProblem(problem, index: index, filename: file.filename) }
            func invalid(_ message: String) -> Problem {
                refuse(Problem(status: 422, code: "validation-error", title: "Unprocessable Content", detail: message,
                               errors: [(field: "files[\(index)]", message: message)]))
            }
            guard let filename = file.filename else { throw invalid("must be a file (a part with a file name)") }
            if filename.utf8.contains(0) { throw invalid("the file name " + JSONBody.nulMessage) }
            let extracted: ExtractedDocument
            do {
                extracted = try DocumentExtractor.extract(body: file.body, contentType: file.contentType, filename: filename,
                                                          binaryReader: reader)
            } catch {
                throw refuse(TextProblems.problem(error))
            }
            guard !extracted.text.isEmpty else { throw invalid("contains no text") }
            textBytes += extracted.text.utf8.count
            guard textBytes <= limits.textBytes else {
                throw refuse(Problem(status: 413, code: "payload-too-large", title: "Content Too Large",
                                     detail: "The text of the batch's files exceeds \(limits.textBytes) bytes; send fewer files per request."))
            }
            let elapsed = Double(Clock.monotonicNanoseconds() - started) / 1e9
            guard elapsed <= limits.readingSeconds else {
                throw refuse(Problem(status: 422, code: "unreadable-document", title: "Unprocessable Content",
                                     detail: "Reading the batch's files took longer than \(Int(limits.readingSeconds)) s; send fewer or smaller files per request."))
            }
            uploads.append(UploadedDocument(
                title: Upload.boundedTitle(extracted.title) ?? Upload.boundedTitle(filename)
                    ?? Upload.derivedTitle(extracted.text),
                source: String((sources?[index] ?? filename).prefix(Upload.maxSourceLength)),
                contentType: extracted.format.mediaType,
                text: extracted.text, metadataJSON: metadata, pages: extracted.pages))
        }
        return uploads
    }

    /// The optional `sources` field: a JSON array of strings, one per file in order, each
    /// file's source (a client that walks folders keeps the paths there; a part's file name
    /// is only the last component). 422 unless it is that.
    static func sourcesField(_ parts: [MultipartPart], files: Int) throws -> [String]? {
        guard let text = try Upload.formField(parts, "sources") else { return nil }
        let decoded = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        guard let array = decoded as? [Any], let sources = array as? [String], sources.count == array.count else {
            throw JSONBody.invalid("sources", "must be a JSON array of strings, one per file")
        }
        guard sources.count == files else {
            throw JSONBody.invalid("sources", "names \(sources.count) source(s) for \(files) file(s): give one per file, in order")
        }
        if sources.contains(where: { $0.utf8.contains(0) }) { throw JSONBody.invalid("sources", JSONBody.nulMessage) }
        if sources.contains(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
            throw JSONBody.invalid("sources", "must not hold an empty source")
        }
        return sources
    }

    /// `problem` as the answer for the whole batch: its detail starts with the part
    /// (`files[2] (b.pdf): ...`) and `part` says which one, so a client can tell which
    /// file to fix without parsing the detail.
    static func partProblem(_ problem: Problem, index: Int, filename: String?) -> Problem {
        var problem = problem
        // Control characters (a NUL is refused, but named first) never reach the detail.
        let name = filename.map { name in
            " (" + String(name.unicodeScalars.prefix(80).map { $0.properties.generalCategory == .control ? "?" : Character($0) }) + ")"
        } ?? ""
        problem.detail = "files[\(index)]\(name): " + (problem.detail ?? problem.title)
        problem.extensions.append(("part", JSONText.object([
            ("index", String(index)),
            ("field", JSONText.quoted(fileField)),
            ("filename", filename.map(JSONText.quoted) ?? "null"),
        ])))
        return problem
    }
}
