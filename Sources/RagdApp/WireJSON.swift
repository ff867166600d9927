import Foundation
import RagdHTTP

/// The encoder of the `/v1` bodies built from `Encodable` wire types. Keys are sorted
/// because JSONEncoder's own order follows hashing, which differs from process to
/// process; `/` is left unescaped (a source path stays readable). A property that is nil
/// is sent as `null`, never left out (`Nullable`).
enum WireJSON {
    static func response<Body: Encodable>(_ body: Body, status: Int = 200) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Response.json(String(decoding: try encoder.encode(body), as: UTF8.self), status: status)
        } catch {
            // Only a number JSON cannot hold (NaN, infinity) gets here: ragd's fault, not a dependency's.
            var problem = Problem.internalError()
            problem.cause = String(describing: error)
            throw problem
        }
    }
}

/// `{"data": [...]}`: a list answered whole (jobs).
struct ListBody<Item: Encodable>: Encodable {
    var data: [Item]
}

/// An optional property of a wire type that is sent as `null` when nil. Synthesized
/// `Encodable` leaves a nil optional out (`encodeIfPresent`), but the API has always
/// sent these keys, and clients read them.
@propertyWrapper
struct Nullable<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
