/// Chinese question and filler words. Questions are full of them ("怎么", "如何", "哪些",
/// "能不能") and reference text hardly ever contains them, so BM25 would take them for
/// rare, telling terms, and the few passages that happen to hold one would outrank the
/// passage about the subject. Only words that never carry the subject are listed; inside
/// a run of Han characters they are cut out (the run is split there), and a lone
/// particle ("的", "吗") is not indexed.
enum ChineseStopTerms {
    /// The length of the stop word starting at `run[index]`, longest first; nil if none.
    static func match(_ run: [Unicode.Scalar], at index: Int) -> Int? {
        // Most characters start no stop word: answer those without building strings.
        guard firstCharacters.contains(run[index]) else { return nil }
        for length in stride(from: min(4, run.count - index), through: 2, by: -1) {
            var word = String.UnicodeScalarView()
            word.append(contentsOf: run[index..<(index + length)])
            if words.contains(String(word)) { return length }
        }
        return nil
    }

    static func isLoneStopCharacter(_ scalar: Unicode.Scalar) -> Bool {
        loneCharacters.contains(scalar)
    }

    static let words: Set<String> = [
        // question words (simplified and traditional)
        "怎么", "怎样", "怎麼", "怎樣", "如何", "什么", "什麼", "为什么", "為什麼", "哪些", "哪个", "哪個", "哪里", "哪裡",
        "哪儿", "是否", "能否", "能不能", "可不可以", "有没有", "有沒有", "是不是", "为何", "為何",
        // pronouns and fillers
        "我们", "我們", "你们", "你們", "他们", "他們", "它们", "它們", "一个", "一個", "一些", "这个", "這個", "那个",
        "那個", "这样", "這樣", "那样", "那樣", "这些", "這些", "那些", "还是", "還是", "或者", "而且", "但是", "因为",
        "因為", "所以", "然后", "然後", "就是", "请问", "請問",
    ]

    static let firstCharacters = Set(words.compactMap(\.unicodeScalars.first))

    static let loneCharacters: Set<Unicode.Scalar> = [
        "的", "了", "吗", "嗎", "呢", "吧", "啊", "呀", "是", "在", "我", "你", "他", "她", "它", "和", "与", "與", "或",
        "也", "都", "就", "又", "么", "麼",
    ]
}
