/// 64-bit FNV-1a with a final avalanche step (the MurmurHash3 `fmix64` finalizer).
///
/// Stable across processes, machines and releases, unlike Swift's `Hasher`, which is
/// seeded randomly per process: stored vectors must mean the same thing after a restart.
/// FNV-1a alone mixes its low bits poorly, and the bucket index is taken from them, hence
/// the finalizer.
struct StableHash {
    private var state: UInt64 = 0xCBF2_9CE4_8422_2325

    init() {}

    /// Starts a hash in a namespace, so the same string as a word and as a trigram
    /// lands in different buckets.
    init(namespace: UInt8) {
        combine(namespace)
    }

    @inline(__always)
    mutating func combine(_ byte: UInt8) {
        state ^= UInt64(byte)
        state = state &* 0x0000_0100_0000_01B3
    }

    /// Feeds the scalar's UTF-8 bytes.
    @inline(__always)
    mutating func combine(_ scalar: Unicode.Scalar) {
        let v = scalar.value
        if v < 0x80 {
            combine(UInt8(v))
        } else {
            for unit in UTF8.encode(scalar)! { combine(unit) }
        }
    }

    /// A separator between the parts of an n-gram (0xFF never occurs in UTF-8).
    @inline(__always)
    mutating func separator() { combine(0xFF) }

    func finalize() -> UInt64 {
        var h = state
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
