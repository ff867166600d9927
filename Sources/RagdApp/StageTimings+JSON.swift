import RagdCore
import RagdPipeline

extension StageTimings {
    /// The stages of an answer (`/v1/query`), each reported even when it did not run.
    static let answerStages = ["embed", "retrieve", "rerank", "generate"]

    /// Milliseconds to the microsecond, by stage: the measured stages, or exactly `stages`
    /// (0 for one that did not run) when given.
    func roundedMilliseconds(stages: [String]? = nil) -> [(String, Double)] {
        let names = stages ?? self.stages.map(\.name)
        return names.map { ($0, ((milliseconds($0) ?? 0) * 1000).rounded() / 1000) }
    }

    /// `{"embed": 1.2, ...}`: `roundedMilliseconds` as JSON text, in stage order.
    func json(stages: [String]? = nil) -> String {
        JSONText.object(roundedMilliseconds(stages: stages).map { ($0, String($1)) })
    }
}
