/// Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`).
public enum PrometheusText {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A sample computed at scrape time (pool state, process figures) rather than stored.
    public struct Sample: Sendable {
        public var labels: [(String, String)]
        public var value: Double

        public init(_ value: Double) {
            self.labels = []
            self.value = value
        }

        public init(_ labels: [(String, String)], _ value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    /// A family whose samples are computed at scrape time.
    public struct ComputedFamily: Sendable {
        public var name: String
        public var help: String
        public var kind: MetricFamily.Kind
        public var samples: [Sample]

        public init(name: String, help: String, kind: MetricFamily.Kind, samples: [Sample]) {
            self.name = name
            self.help = help
            self.kind = kind
            self.samples = samples
        }
    }

    /// Renders the stored families (summed over the pool) followed by `computed` ones.
    /// Overflow series are shown only once something was counted into them.
    public static func render(families: [MetricFamily], snapshot: [SeriesSnapshot], computed: [ComputedFamily]) -> String {
        var bySeries: [Int: [SeriesSnapshot]] = [:]
        for series in snapshot { bySeries[series.family, default: []].append(series) }
        var out = ""
        out.reserveCapacity(snapshot.count * 160 + computed.count * 200)
        for (index, family) in families.enumerated() {
            out += "# HELP \(family.name) \(escapeHelp(family.help))\n# TYPE \(family.name) \(family.kind.rawValue)\n"
            let series = (bySeries[index] ?? []).filter { series in
                !(series.labelValues.contains(MetricsStore.overflowValue) && series.cells.allSatisfy { $0 == 0 })
            }.sorted { $0.labelValues.lexicographicallyPrecedes($1.labelValues) }
            for item in series {
                let labels = Array(zip(family.labelNames, item.labelValues))
                switch family.kind {
                case .counter, .gauge:
                    out += family.name + labelText(labels) + " " + String(item.cells[0]) + "\n"
                case .histogram:
                    var cumulative: UInt64 = 0
                    for (i, bound) in family.buckets.enumerated() {
                        cumulative &+= item.cells[i]
                        out += family.name + "_bucket" + labelText(labels + [("le", number(bound))]) + " \(cumulative)\n"
                    }
                    cumulative &+= item.cells[family.buckets.count]
                    out += family.name + "_bucket" + labelText(labels + [("le", "+Inf")]) + " \(cumulative)\n"
                    let sum = Double(item.cells[family.buckets.count + 2]) / MetricFamily.sumScale
                    out += family.name + "_sum" + labelText(labels) + " " + number(sum) + "\n"
                    out += family.name + "_count" + labelText(labels) + " \(item.cells[family.buckets.count + 1])\n"
                }
            }
        }
        for family in computed {
            out += "# HELP \(family.name) \(escapeHelp(family.help))\n# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                out += family.name + labelText(sample.labels) + " " + number(sample.value) + "\n"
            }
        }
        return out
    }

    static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Go-style number formatting that Prometheus parses: integers without a fraction.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Label values escape backslash, double quote and newline; HELP text backslash and newline.
    static func escapeLabel(_ value: String) -> String { escape(value, quotes: true) }
    static func escapeHelp(_ value: String) -> String { escape(value, quotes: false) }

    private static func escape(_ value: String, quotes: Bool) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"" where quotes: out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}
