import CRagdShim
import RagdCore
#if canImport(Glibc)
import Glibc
#endif

/// Counters and histograms in memory shared by the whole pool, summed at scrape time.
///
/// The master maps the region before forking. It holds:
/// * a registry of series (family + label values -> a run of cells), a fixed-size hash
///   table that any process may insert into without a lock (an entry is claimed with a
///   compare-and-swap, filled, then published);
/// * one set of cells per writer: one per worker slot and one for the master. A writer
///   only adds to its own cells, with atomic adds (several threads of one worker share
///   them), so no process ever waits for another. A respawned worker takes over its
///   slot's cells, so sums never go backwards.
/// When the registry or the cell pool is full, a new label set is counted into its
/// family's overflow series (label values `__overflow__`) and into
/// `rag_metrics_series_dropped_total`: memory stays bounded and nothing crashes.
public final class MetricsStore: @unchecked Sendable {
    public let families: [MetricFamily]
    public let writerCount: Int
    public let seriesCapacity: Int
    public let cellsPerWriter: Int

    private let base: UnsafeMutablePointer<UInt64>
    private let byteCount: Int
    private let familyIndex: [String: Int]
    private var cache: [String: Series] = [:]
    private let cacheLock = PThreadMutex()

    static let headerWords = 8
    static let entryWords = 32
    static let keyBytes = (entryWords - 6) * 8
    /// The label value of every overflow series.
    public static let overflowValue = "__overflow__"

    private enum Header: Int { case nextCell = 0, dropped = 1 }
    private enum EntryField: Int { case state = 0, hash, family, cellOffset, cellCount, keyLength }
    private enum EntryState: UInt64 { case empty = 0, claimed = 1, ready = 2 }

    /// A registered series: where its cells start.
    public struct Series: Sendable {
        public let family: Int
        public let cellOffset: Int
    }

    /// - `writers`: cell sets (worker slots plus one for the master).
    /// - `seriesCapacity`: distinct label sets across all families (default 4096).
    /// - `cellsPerWriter`: cells in each writer's set (default 65536, 512 KiB).
    public init(families: [MetricFamily], writers: Int, seriesCapacity: Int = 4096, cellsPerWriter: Int = 65536) throws {
        self.families = families
        self.writerCount = writers
        self.seriesCapacity = seriesCapacity
        self.cellsPerWriter = cellsPerWriter
        var index: [String: Int] = [:]
        for (i, family) in families.enumerated() { index[family.name] = i }
        familyIndex = index
        let words = Self.headerWords + seriesCapacity * Self.entryWords + writers * cellsPerWriter
        byteCount = words * 8
        guard let raw = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else {
            throw MetricsError("mmap of \(byteCount) bytes for metrics failed")
        }
        base = raw.bindMemory(to: UInt64.self, capacity: words)
        // Every family gets its overflow series first, so there is always room for it.
        for (i, family) in families.enumerated() {
            _ = register(family: i, labelValues: Array(repeating: Self.overflowValue, count: family.labelNames.count))
        }
    }

    deinit { munmap(base, byteCount) }

    /// The family named `name`; a programming error if it was not declared.
    public func family(_ name: String) -> Int {
        guard let index = familyIndex[name] else { preconditionFailure("undeclared metric family \(name)") }
        return index
    }

    // MARK: writing

    /// The series for `labelValues` of `family`, registering it on first use.
    public func series(_ family: Int, _ labelValues: [String]) -> Series {
        precondition(labelValues.count == families[family].labelNames.count, "wrong label count for \(families[family].name)")
        let key = Self.key(family: family, labelValues: labelValues)
        if let cached = cacheLock.withLock({ cache[key] }) { return cached }
        let series = register(family: family, labelValues: labelValues)
        cacheLock.withLock { cache[key] = series }
        return series
    }

    /// Adds `amount` to a counter series in `writer`'s cells.
    public func add(_ series: Series, _ amount: UInt64 = 1, writer: Int) {
        _ = CRagdShim_atomic_fetch_add_u64(cell(writer, series.cellOffset), amount)
    }

    /// Records one observation of `value` in a histogram series.
    public func observe(_ series: Series, _ value: Double, writer: Int) {
        let buckets = families[series.family].buckets
        var bucket = buckets.count // +Inf
        for (i, bound) in buckets.enumerated() where value <= bound {
            bucket = i
            break
        }
        _ = CRagdShim_atomic_fetch_add_u64(cell(writer, series.cellOffset + bucket), 1)
        _ = CRagdShim_atomic_fetch_add_u64(cell(writer, series.cellOffset + buckets.count + 1), 1)
        let scaled = value.isFinite && value > 0 ? UInt64(min(value * MetricFamily.sumScale, Double(UInt64.max / 2))) : 0
        _ = CRagdShim_atomic_fetch_add_u64(cell(writer, series.cellOffset + buckets.count + 2), scaled)
    }

    /// Series dropped for lack of room since start.
    public var droppedSeries: UInt64 { CRagdShim_atomic_load_u64(base + Header.dropped.rawValue) }

    // MARK: reading

    /// Every registered series with its values summed over all writers.
    public func snapshot() -> [SeriesSnapshot] {
        var result: [SeriesSnapshot] = []
        for index in 0..<seriesCapacity {
            let entry = base + Self.headerWords + index * Self.entryWords
            guard CRagdShim_atomic_load_u64(entry + EntryField.state.rawValue) == EntryState.ready.rawValue else { continue }
            let family = Int(entry[EntryField.family.rawValue])
            let offset = Int(entry[EntryField.cellOffset.rawValue])
            let count = Int(entry[EntryField.cellCount.rawValue])
            var values = [UInt64](repeating: 0, count: count)
            for writer in 0..<writerCount {
                for c in 0..<count { values[c] &+= CRagdShim_atomic_load_u64(cell(writer, offset + c)) }
            }
            result.append(SeriesSnapshot(family: family, labelValues: labelValues(of: entry, family: family), cells: values))
        }
        return result
    }

    // MARK: registry

    @inline(__always)
    private func cell(_ writer: Int, _ offset: Int) -> UnsafeMutablePointer<UInt64> {
        base + Self.headerWords + seriesCapacity * Self.entryWords + writer * cellsPerWriter + offset
    }

    private func register(family: Int, labelValues: [String]) -> Series {
        let key = Array(Self.key(family: family, labelValues: labelValues).utf8)
        guard key.count <= Self.keyBytes else { return overflow(family) }
        let hash = Self.fnv1a(key)
        let cellCount = families[family].cellCount
        for probe in 0..<seriesCapacity {
            let index = Int((hash &+ UInt64(probe)) % UInt64(seriesCapacity))
            let entry = base + Self.headerWords + index * Self.entryWords
            let state = entry + EntryField.state.rawValue
            if CRagdShim_atomic_load_u64(state) == EntryState.empty.rawValue {
                if CRagdShim_atomic_cas_u64(state, EntryState.empty.rawValue, EntryState.claimed.rawValue) != 0 {
                    let offset = CRagdShim_atomic_fetch_add_u64(base + Header.nextCell.rawValue, UInt64(cellCount))
                    guard Int(offset) + cellCount <= cellsPerWriter else {
                        // No cells left: leave the entry claimed-but-unused (never read) and overflow.
                        return overflow(family)
                    }
                    entry[EntryField.hash.rawValue] = hash
                    entry[EntryField.family.rawValue] = UInt64(family)
                    entry[EntryField.cellOffset.rawValue] = offset
                    entry[EntryField.cellCount.rawValue] = UInt64(cellCount)
                    entry[EntryField.keyLength.rawValue] = UInt64(key.count)
                    UnsafeMutableRawPointer(entry + 6).copyMemory(from: key, byteCount: key.count)
                    CRagdShim_atomic_store_u64(state, EntryState.ready.rawValue)
                    return Series(family: family, cellOffset: Int(offset))
                }
            }
            // Someone else is filling this entry: wait until it is published, then compare.
            var spins = 0
            while CRagdShim_atomic_load_u64(state) == EntryState.claimed.rawValue && spins < 100_000 {
                spins += 1
                sched_yield()
            }
            guard CRagdShim_atomic_load_u64(state) == EntryState.ready.rawValue else { continue }
            if entry[EntryField.hash.rawValue] == hash && Int(entry[EntryField.keyLength.rawValue]) == key.count
                && memcmp(entry + 6, key, key.count) == 0 {
                return Series(family: Int(entry[EntryField.family.rawValue]), cellOffset: Int(entry[EntryField.cellOffset.rawValue]))
            }
        }
        return overflow(family)
    }

    private func overflow(_ family: Int) -> Series {
        _ = CRagdShim_atomic_fetch_add_u64(base + Header.dropped.rawValue, 1)
        let values = Array(repeating: Self.overflowValue, count: families[family].labelNames.count)
        // Registered in init, so this lookup always finds it.
        let key = Self.key(family: family, labelValues: values)
        if let cached = cacheLock.withLock({ cache[key] }) { return cached }
        let series = register(family: family, labelValues: values)
        cacheLock.withLock { cache[key] = series }
        return series
    }

    private func labelValues(of entry: UnsafeMutablePointer<UInt64>, family: Int) -> [String] {
        guard !families[family].labelNames.isEmpty else { return [] }
        let length = Int(entry[EntryField.keyLength.rawValue])
        let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(entry + 6), count: length)
        let key = String(decoding: bytes, as: UTF8.self)
        guard let separator = key.firstIndex(of: "\u{1}") else { return [] }
        return key[key.index(after: separator)...].split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
    }

    /// The registry key; the separators cannot occur in a label value (they are replaced).
    static func key(family: Int, labelValues: [String]) -> String {
        // Appended into one String (this runs twice per request): `family`, U+0001, then
        // the values separated by U+0000, those two replaced by "?" inside a value.
        // U+0000 and U+0001 are control characters, always a Character of their own, so
        // looking for their bytes finds exactly the Characters the replacement maps.
        var key = String(family)
        key.append("\u{1}")
        for (index, value) in labelValues.enumerated() {
            if index > 0 { key.append("\u{0}") }
            if value.utf8.contains(where: { $0 <= 1 }) {
                key.append(String(value.map { $0 == "\u{0}" || $0 == "\u{1}" ? "?" : $0 }))
            } else {
                key.append(value)
            }
        }
        return key
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

/// One series' values, summed over every writer.
public struct SeriesSnapshot: Sendable {
    public let family: Int
    public let labelValues: [String]
    /// Counter: [value]. Histogram: per-bucket counts (+Inf last), count, scaled sum.
    public let cells: [UInt64]
}

public struct MetricsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
