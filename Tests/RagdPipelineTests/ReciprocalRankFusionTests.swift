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
}
