import RagdCore
import RagdPipeline

extension StageTimings {
    /// The stages of an answer (`/v1/query`), each reported even when it did not run.
    static let answerStages = ["embed", "retrieve", "rerank", "generate"]

    /// `{"embed": 1.2, ...}` in milliseconds (to the microsecond): the measured stages, or
    /// exactly `stages` (0 for one that did not run) when given.
    func json(stages: [String]? = nil) -> String {
        let names = stages ?? self.stages.map(\.name)
        return JSONText.object(names.map { ($0, String(((milliseconds($0) ?? 0) * 1000).rounded() / 1000)) })
    }
}
