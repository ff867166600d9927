import RagdPipeline
import Testing

@Suite struct ReciprocalRankFusionTests {
    @Test func itemsInBothListsWin() {
        let fused = ReciprocalRankFusion.fuse([["a", "b", "c"], ["c", "d", "a"]], limit: 10)
        #expect(fused.map(\.id) == ["a", "c", "b", "d"])
        #expect(fused[0].ranks == [1, 3])
        #expect(fused[1].ranks == [3, 1])
        #expect(fused[2].ranks == [2, nil])
        #expect(abs(fused[0].score - (1.0 / 61 + 1.0 / 63)) < 1e-12)
    }

    @Test func oneLegAloneKeepsItsOrder() {
        #expect(ReciprocalRankFusion.fuse([["x", "y", "z"], []], limit: 2).map(\.id) == ["x", "y"])
    }

    @Test func tiesAreDeterministic() {
        let a = ReciprocalRankFusion.fuse([["p", "q"], ["q", "p"]], limit: 5).map(\.id)
        let b = ReciprocalRankFusion.fuse([["q", "p"], ["p", "q"]], limit: 5).map(\.id)
        #expect(a == ["p", "q"])
        #expect(b == ["p", "q"])
    }

    @Test func repeatedIdsCountOnce() {
        let fused = ReciprocalRankFusion.fuse([["a", "a", "b"]], limit: 5)
        #expect(fused.map(\.id) == ["a", "b"])
        #expect(fused[1].ranks == [3])
    }

    /// The document-level legs: a chunk of a ranked document gains `weight / (k + rank)`,
    /// which re-orders the candidates; they add no chunk of their own.
    @Test func documentRankingsReorderCandidatesAndAddNone() {
        let groupOf = ["a": "A", "b": "B", "b2": "B", "c": "C"]
        let plain = ReciprocalRankFusion.fuse([["a", "b", "c"]], k: 5, limit: 10)
        #expect(plain.map(\.id) == ["a", "b", "c"])
        let fused = ReciprocalRankFusion.fuse([["a", "b", "c"]], k: 5, limit: 10,
                                              groupLists: [(["C", "B"], 1), (["B"], 0.5)], groupOf: groupOf)
        #expect(fused.map(\.id) == ["b", "c", "a"])
        #expect(abs(fused[0].score - (1.0 / 7 + 1.0 / 7 + 0.5 / 6)) < 1e-12)
        #expect(abs(fused[1].score - (1.0 / 8 + 1.0 / 6)) < 1e-12)
        #expect(fused[0].ranks == [2]) // the document legs leave the chunk legs' ranks alone
        // Weight 0 is no leg; a chunk whose document is unknown gains nothing.
        #expect(ReciprocalRankFusion.fuse([["a", "b"]], k: 5, limit: 10, groupLists: [(["B"], 0)], groupOf: groupOf).map(\.id) == ["a", "b"])
        #expect(ReciprocalRankFusion.fuse([["x", "b"]], k: 5, limit: 10, groupLists: [(["X"], 5)], groupOf: groupOf).map(\.id) == ["x", "b"])
    }
}
