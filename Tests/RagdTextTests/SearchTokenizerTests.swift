import Testing
@testable import RagdText

@Suite struct SearchTokenizerTests {
    @Test func englishWordsAreFoldedStemmedAndStopWordsDropped() {
        #expect(SearchTokenizer.terms("How do I open a File?") == ["open", "file"])
        #expect(SearchTokenizer.terms("Running connections") == ["run", "connect"])
        #expect(SearchTokenizer.terms("CONNECTED, connecting; Connection") == ["connect", "connect", "connect"])
    }

    /// The sentence the locale-C database indexed as `company’`, `grew—fast`, `«zorblat»`.
    @Test func punctuationOfAnyScriptSeparatesWords() {
        #expect(SearchTokenizer.terms("The company’s revenue grew—fast, «Zorblat»")
                == ["compani", "revenu", "grew", "fast", "zorblat"])
        #expect(SearchTokenizer.terms("“quotes” ‘single’ a–b (paren) [x]{y}") == ["quot", "singl", "b", "paren", "x", "y"])
        #expect(SearchTokenizer.terms("os.path.join snake_case e-mail") == ["os", "path", "join", "snake", "case", "e", "mail"])
        #expect(SearchTokenizer.terms("Python 3.11") == ["python", "3", "11"])
    }

    @Test func chineseRunsBecomeCharactersAndOverlappingBigrams() {
        #expect(SearchTokenizer.terms("全文检索很重要")
                == ["全", "全文", "文", "文检", "检", "检索", "索", "索很", "很", "很重", "重", "重要", "要"])
        // Chinese punctuation separates runs: no bigram across it.
        #expect(SearchTokenizer.terms("猫。狗，鱼") == ["猫", "狗", "鱼"])
        #expect(SearchTokenizer.terms("配置网络，重启服务")
                == ["配", "配置", "置", "置网", "网", "网络", "络", "重", "重启", "启", "启服", "服", "服务", "务"])
    }

    /// The characters are what lets a paraphrase meet its passage: "共享库" and "库依赖性"
    /// share no bigram, but the character 库.
    @Test func aParaphraseSharesCharactersWhereItSharesNoBigram() {
        let question = Set(SearchTokenizer.queryTerms("哪些共享库"))
        let passage = Set(SearchTokenizer.terms("检查库依赖性"))
        #expect(question.intersection(passage) == ["库"])
    }

    @Test func mixedChineseAndEnglishInOnePass() {
        #expect(SearchTokenizer.terms("用Python写脚本") == ["用", "python", "写", "写脚", "脚", "脚本", "本"])
        #expect(SearchTokenizer.terms("安装nginx服务器and configure它")
                == ["安", "安装", "装", "nginx", "服", "服务", "务", "务器", "器", "configur"])
    }

    /// Question words would look rare in documentation and outweigh the subject.
    @Test func chineseQuestionWordsAreCutOutOfTheRun() {
        #expect(SearchTokenizer.terms("怎么配置网络") == ["配", "配置", "置", "置网", "网", "网络", "络"], "no bigram straddles 怎么")
        #expect(SearchTokenizer.terms("为什么系统启动很慢？")
                == ["系", "系统", "统", "统启", "启", "启动", "动", "动很", "很", "很慢", "慢"])
        #expect(SearchTokenizer.terms("能不能用键盘") == ["用", "用键", "键", "键盘", "盘"])
        #expect(SearchTokenizer.terms("目的地") == ["目", "目的", "的地", "地"], "的 inside a word stays in its bigrams, not alone")
        #expect(SearchTokenizer.terms("的") == [])
    }

    @Test func japaneseAndKoreanAreBigramsToo() {
        #expect(SearchTokenizer.terms("東京タワーに行きました")
                == ["東", "東京", "京", "京タ", "タ", "タワ", "ワ", "ワー", "ー", "ーに", "に", "に行", "行", "行き", "き", "きま",
                    "ま", "まし", "し", "した", "た"])
        #expect(SearchTokenizer.terms("한국어 검색") == ["한", "한국", "국", "국어", "어", "검", "검색", "색"])
    }

    @Test func fullWidthAndCompatibilityFormsAreNormalized() {
        // NFKC: full-width letters, digits and the ideographic space are plain ASCII.
        #expect(SearchTokenizer.terms("ＡＢＣ　ｄｅｆ１２３") == ["abc", "def123"])
        #expect(SearchTokenizer.terms("ＰＯＳＴＧＲＥＳ") == SearchTokenizer.terms("postgres"))
        // Half-width katakana become full-width, so both spellings meet.
        #expect(SearchTokenizer.terms("ｶﾀｶﾅ") == ["カ", "カタ", "タ", "タカ", "カ", "カナ", "ナ"])
        // Ligatures and circled digits.
        #expect(SearchTokenizer.terms("ﬁle ①") == ["file", "1"])
        // Full-width Chinese punctuation separates like ASCII punctuation.
        #expect(SearchTokenizer.terms("数据（备份）") == ["数", "数据", "据", "备", "备份", "份"])
    }

    @Test func composedAndDecomposedAccentsGiveOneTerm() {
        #expect(SearchTokenizer.terms("Cafe\u{301}") == ["café"])
        #expect(SearchTokenizer.terms("café") == ["café"])
        #expect(SearchTokenizer.terms("Привет, мир!") == ["привет", "мир"])
    }

    @Test func emojiSeparatesAndVanishes() {
        #expect(SearchTokenizer.terms("rocket🚀launch") == ["rocket", "launch"])
        #expect(SearchTokenizer.terms("🚀🎉👍🏽") == [])
        #expect(SearchTokenizer.terms("") == [])
        #expect(SearchTokenizer.terms("  \n\t ... !!! ") == [])
    }

    @Test func veryLongWordsAreCutToOneBoundedTerm() {
        let long = String(repeating: "a", count: 100_000)
        let terms = SearchTokenizer.terms("start \(long) end")
        #expect(terms.count == 3)
        #expect(terms[1].count <= SearchTokenizer.maxTermLength)
        // A long run of y's once meant deep recursion in the stemmer's consonant test.
        #expect(SearchTokenizer.terms(String(repeating: "y", count: 1_000_000)).count == 1)
        let han = String(repeating: "中", count: 5)
        #expect(SearchTokenizer.terms(han) == ["中", "中中", "中", "中中", "中", "中中", "中", "中中", "中"])
    }

    @Test func termFrequenciesCountRepeatsAndLength() {
        let (counts, length) = SearchTokenizer.termFrequencies("cats and cats and dogs, 猫猫")
        #expect(counts == ["cat": 2, "dog": 1, "猫": 2, "猫猫": 1])
        #expect(length == 6)
        #expect(SearchTokenizer.queryTerms("cats cat CATS dogs") == ["cat", "dog"])
    }
}

@Suite struct PorterStemmerTests {
    /// Examples from Porter's 1980 paper, step by step (with the reference
    /// implementation's "bli" → "ble" and "logi" → "log").
    @Test(arguments: [
        ("caresses", "caress"), ("ponies", "poni"), ("ties", "ti"), ("caress", "caress"), ("cats", "cat"),
        ("feed", "feed"), ("agreed", "agre"), ("plastered", "plaster"), ("bled", "bled"), ("motoring", "motor"),
        ("sing", "sing"), ("conflated", "conflat"), ("troubled", "troubl"), ("sized", "size"), ("hopping", "hop"),
        ("tanned", "tan"), ("falling", "fall"), ("hissing", "hiss"), ("fizzed", "fizz"), ("failing", "fail"),
        ("filing", "file"), ("happy", "happi"), ("sky", "sky"), ("relational", "relat"), ("conditional", "condit"),
        ("rational", "ration"), ("valenci", "valenc"), ("hesitanci", "hesit"), ("digitizer", "digit"),
        ("conformabli", "conform"), ("radicalli", "radic"), ("differentli", "differ"), ("vileli", "vile"),
        ("analogousli", "analog"), ("vietnamization", "vietnam"), ("predication", "predic"), ("operator", "oper"),
        ("feudalism", "feudal"), ("decisiveness", "decis"), ("hopefulness", "hope"), ("callousness", "callous"),
        ("formaliti", "formal"), ("sensitiviti", "sensit"), ("sensibiliti", "sensibl"), ("triplicate", "triplic"),
        ("formative", "form"), ("formalize", "formal"), ("electriciti", "electr"), ("electrical", "electr"),
        ("hopeful", "hope"), ("goodness", "good"), ("revival", "reviv"), ("allowance", "allow"),
        ("inference", "infer"), ("airliner", "airlin"), ("gyroscopic", "gyroscop"), ("adjustable", "adjust"),
        ("defensible", "defens"), ("irritant", "irrit"), ("replacement", "replac"), ("adjustment", "adjust"),
        ("dependent", "depend"), ("adoption", "adopt"), ("homologou", "homolog"), ("communism", "commun"),
        ("activate", "activ"), ("angulariti", "angular"), ("homologous", "homolog"), ("effective", "effect"),
        ("bowdlerize", "bowdler"), ("probate", "probat"), ("rate", "rate"), ("cease", "ceas"),
        ("controll", "control"), ("roll", "roll"), ("generalizations", "gener"), ("oscillators", "oscil"),
        ("archaeology", "archaeolog"), ("is", "is"),
    ])
    func paperExamples(word: String, stem: String) {
        #expect(PorterStemmer.stem(word) == stem)
    }

    @Test func leavesNonLettersAlone() {
        #expect(PorterStemmer.stem("utf8") == "utf8")
        #expect(PorterStemmer.stem("naïve") == "naïve")
    }
}
