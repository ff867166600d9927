import RagdCore

/// Request bodies written by hand: an insert of 500 rows of 384 floats is a couple of
/// megabytes, and building it as text skips a `JSONEncoder` pass over boxed values.
enum MilvusJSON {
    /// A JSON object from ordered key/value pairs whose values are already JSON text.
    static func object(_ fields: [(String, String)]) -> String {
        JSONText.object(fields)
    }

    static func string(_ value: String) -> String {
        JSONText.quoted(value)
    }

    static func strings(_ values: [String]) -> String {
        "[" + values.map(JSONText.quoted).joined(separator: ",") + "]"
    }

    /// Floats in Swift's shortest round-trip form (`0.1`, `1e-05`), which is valid JSON
    /// for finite values; callers reject NaN and infinity before this.
    static func vector(_ values: [Float]) -> String {
        var out = "["
        out.reserveCapacity(values.count * 12)
        for (index, value) in values.enumerated() {
            if index > 0 { out += "," }
            out += value.description
        }
        return out + "]"
    }
}
