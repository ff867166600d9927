/// An ordered list of header fields with case-insensitive lookup.
public struct HTTPHeaders: Sendable, Sequence {
    private var fields: [(name: String, value: String)] = []
    /// Whether a name that is not ASCII was ever added. Until one is, a lookup by an ASCII
    /// name compares bytes of the names of its length only, without first checking each
    /// field's name for non-ASCII bytes (which the case rules need, and which cost more
    /// than the comparison); the middlewares look names up on every request. Not cleared
    /// when such a field is removed: it only sends lookups the longer way.
    private var hasNonASCIIName = false

    public init() {}

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
        hasNonASCIIName = fields.contains { !Self.isASCII($0.0) }
    }

    /// The first value of `name`, compared case-insensitively.
    public subscript(name: String) -> String? {
        if !hasNonASCIIName && Self.isASCII(name) {
            return fields.first { Self.sameASCIIName($0.name, name) }?.value
        }
        return fields.first { Self.sameName($0.name, name) }?.value
    }

    /// Appends a field (keeps existing ones with the same name).
    public mutating func add(_ name: String, _ value: String) {
        if !hasNonASCIIName && !Self.isASCII(name) { hasNonASCIIName = true }
        fields.append((name: name, value: value))
    }

    /// Makes room for `count` fields in all, so adding that many allocates once.
    public mutating func reserveCapacity(_ count: Int) {
        fields.reserveCapacity(count)
    }

    /// Replaces every field named `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        if !hasNonASCIIName && Self.isASCII(name) {
            fields.removeAll { Self.sameASCIIName($0.name, name) }
        } else {
            fields.removeAll { Self.sameName($0.name, name) }
        }
    }

    /// `sameName` for two ASCII names: only names of the same length can match.
    private static func sameASCIIName(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p != q && asciiLower(p) != asciiLower(q) { return false }
        return true
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public var count: Int { fields.count }

    /// Case-insensitive name comparison. ASCII names (all real ones) are compared byte by
    /// byte without allocating; anything else falls back to `lowercased()`, as before.
    static func sameName(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else {
            // Different byte lengths can only match through non-ASCII case mapping.
            return !(isASCII(a) && isASCII(b)) && a.lowercased() == b.lowercased()
        }
        for (p, q) in zip(x, y) {
            if p >= 0x80 || q >= 0x80 { return a.lowercased() == b.lowercased() }
            if p != q && asciiLower(p) != asciiLower(q) { return false }
        }
        return true
    }

    /// Whether `text` is all ASCII, eight bytes at a time (most lookups compare names of
    /// different lengths, and each such comparison asks this of both).
    private static func isASCII(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            var index = 0, bits: UInt64 = 0
            while index + 8 <= bytes.count {
                bits |= UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
                index += 8
            }
            while index < bytes.count {
                bits |= UInt64(bytes[index])
                index += 1
            }
            return bits & 0x8080_8080_8080_8080 == 0
        } ?? text.utf8.allSatisfy { $0 < 0x80 }
    }

    @inline(__always)
    private static func asciiLower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}
