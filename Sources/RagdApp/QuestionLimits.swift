/// What a question and its history may hold, on `/v1/query` and `/v1/chat/completions`
/// alike (the prompt must fit the model's context whichever route built it).
enum QuestionLimits {
    static let maxQuestionLength = 4000
    static let maxHistoryTurns = 20
    static let maxHistoryContent = 8000
}
