/// The description of one metric family: its name, type, labels and (for histograms)
/// bucket bounds. Families are declared in code, identically in every process of the
/// pool, so a family's index is the same everywhere.
public struct MetricFamily: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public let name: String
    public let help: String
    public let kind: Kind
    public let labelNames: [String]
    /// Upper bounds of the histogram buckets, ascending, without +Inf.
    public let buckets: [Double]

    public init(name: String, help: String, kind: Kind, labelNames: [String] = [], buckets: [Double] = []) {
        precondition(kind == .histogram || buckets.isEmpty, "only histograms have buckets")
        precondition(buckets == buckets.sorted(), "buckets must be ascending")
        self.name = name
        self.help = help
        self.kind = kind
        self.labelNames = labelNames
        self.buckets = buckets
    }

    /// Cells one series of this family takes: 1 for a counter or gauge; a count per
    /// bucket (+Inf included), the observation count and the sum for a histogram.
    var cellCount: Int { kind == .histogram ? buckets.count + 3 : 1 }

    /// Histogram sums are stored as integer nanounits, so they can be added atomically
    /// without a compare-and-swap loop on a Double; 1e-9 resolution is plenty for seconds.
    static let sumScale = 1e9
}
