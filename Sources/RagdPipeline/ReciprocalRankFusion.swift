/// Weighted reciprocal rank fusion (Cormack, Clarke, Buettcher 2009): each ranked list
/// gives an item `weight / (k + rank)`; the sum orders the fused list. It needs no score
/// calibration between the legs (cosine similarity and BM25 are not comparable), which is
/// why hybrid search uses it. The weights and `k` are settings chosen by measurement
/// (README, "Retrieval quality").
public enum ReciprocalRankFusion {
    /// One fused item: its id, fused score and its 1-based rank in each leg (nil if absent).
    public struct Item: Equatable, Sendable {
        public var id: String
        public var score: Double
        public var ranks: [Int?]
    }

    /// Fuses `lists` (each best first, ids unique within a list) with `weights` (one per
    /// list; all 1 when nil). `k` = 60 as in the paper. Ties are broken by the best single
    /// rank, then by id, so the order is deterministic.
    ///
    /// `groupLists` rank groups of items (documents, whose items are their chunks), each
    /// with its weight: an item already in the fused list whose group `groupOf` is at rank
    /// r of such a list gains `weight / (k + r)`. They re-order the items the lists found
    /// and add none (a group ranking says which document, not which of its passages).
    public static func fuse(_ lists: [[String]], weights: [Double]? = nil, k: Double = 60, limit: Int,
                            groupLists: [(ranking: [String], weight: Double)] = [], groupOf: [String: String] = [:]) -> [Item] {
        precondition(weights == nil || weights?.count == lists.count, "one weight per list")
        var items: [String: Item] = [:]
        for (leg, list) in lists.enumerated() {
            let weight = weights?[leg] ?? 1
            for (index, id) in list.enumerated() {
                var item = items[id] ?? Item(id: id, score: 0, ranks: Array(repeating: nil, count: lists.count))
                guard item.ranks[leg] == nil else { continue } // a repeated id counts once
                item.ranks[leg] = index + 1
                item.score += weight / (k + Double(index + 1))
                items[id] = item
            }
        }
        for group in groupLists where group.weight > 0 {
            var rank: [String: Int] = [:]
            for (index, id) in group.ranking.enumerated() where rank[id] == nil { rank[id] = index + 1 }
            for id in Array(items.keys) {
                guard let groupID = groupOf[id], let r = rank[groupID] else { continue }
                items[id]?.score += group.weight / (k + Double(r))
            }
        }
        return items.values.sorted { a, b in
            if a.score != b.score { return a.score > b.score }
            let bestA = a.ranks.compactMap { $0 }.min() ?? .max, bestB = b.ranks.compactMap { $0 }.min() ?? .max
            if bestA != bestB { return bestA < bestB }
            return a.id < b.id
        }.prefix(limit).map { $0 }
    }
}
