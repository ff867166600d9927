/// The central directory of a zip archive, read from the uploaded bytes without
/// inflating anything: which entries exist and how large they say they are. Every read
/// is bounds-checked; a damaged archive yields nil, never a trap.
struct ZipDirectory {
    struct Entry {
        var name: String
        var method: UInt16
        var compressedSize: UInt64
        var uncompressedSize: UInt64
    }

    enum Failure: Error, Equatable {
        /// No end-of-central-directory record: not a zip archive (or cut short).
        case notZip
        /// The directory is damaged or points outside the file.
        case damaged
        /// ZIP64 fields: never needed by a document under 4 GiB, so refused.
        case zip64
    }

    var entries: [Entry]

    init(_ bytes: [UInt8]) throws(Failure) {
        // The end record is 22 bytes plus a comment of at most 65535 bytes.
        guard bytes.count >= 22 else { throw .notZip }
        var end = -1
        var position = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while position >= lowest {
            if Self.u32(bytes, position) == 0x0605_4b50 { end = position; break }
            position -= 1
        }
        guard end >= 0, let count = Self.u16(bytes, end + 10), let size = Self.u32(bytes, end + 12),
              let offset = Self.u32(bytes, end + 16) else { throw .notZip }
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF { throw .zip64 }
        guard Int(offset) + Int(size) <= end else { throw .damaged }
        var entries: [Entry] = []
        var cursor = Int(offset)
        for _ in 0..<Int(count) {
            guard Self.u32(bytes, cursor) == 0x0201_4b50, let method = Self.u16(bytes, cursor + 10),
                  let compressed = Self.u32(bytes, cursor + 20), let uncompressed = Self.u32(bytes, cursor + 24),
                  let nameLength = Self.u16(bytes, cursor + 28), let extraLength = Self.u16(bytes, cursor + 30),
                  let commentLength = Self.u16(bytes, cursor + 32) else { throw .damaged }
            let nameStart = cursor + 46
            guard nameStart + Int(nameLength) <= bytes.count else { throw .damaged }
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF { throw .zip64 }
            entries.append(Entry(name: String(decoding: bytes[nameStart..<nameStart + Int(nameLength)], as: UTF8.self),
                                 method: method, compressedSize: UInt64(compressed), uncompressedSize: UInt64(uncompressed)))
            cursor = nameStart + Int(nameLength) + Int(extraLength) + Int(commentLength)
        }
        self.entries = entries
    }

    func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16? {
        guard at >= 0, at + 2 <= bytes.count else { return nil }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32? {
        guard at >= 0, at + 4 <= bytes.count else { return nil }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}
