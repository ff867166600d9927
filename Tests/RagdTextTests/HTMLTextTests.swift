import Testing
import Foundation
@testable import RagdText

@Suite struct HTMLTextTests {
    private func text(_ html: String) -> String {
        TextNormalizer.normalize(HTMLText.extract(html).text)
    }

    @Test func scriptsStylesHeadAndCommentsAreDropped() {
        let html = """
        <!DOCTYPE html><html><head><title>The  Title</title><style>p { color: red; }</style>
        <script>var x = "<p>not text</p>"; if (a < b) {}</script><meta charset="utf-8"></head>
        <body><!-- a comment <p>hidden</p> --><p>Visible</p><SCRIPT type="text/javascript">alert(1)</SCRIPT>
        <noscript>enable js</noscript><p>After</p></body></html>
        """
        let extraction = HTMLText.extract(html)
        #expect(extraction.title == "The Title")
        #expect(TextNormalizer.normalize(extraction.text) == "Visible\n\nAfter")
    }

    @Test func blockElementsBecomeParagraphsAndLines() {
        let html = "<h1>Heading</h1><p>One <b>bold</b>\n   word.</p><div>Two</div><ul><li>first</li><li>second</li></ul>a<br>b<br><br>c"
        #expect(text(html) == "Heading\n\nOne bold word.\n\nTwo\n\n- first\n- second\n\na\nb\n\nc")
        #expect(text("<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>") == "k\tv\na\t1")
    }

    @Test func preKeepsItsWhitespace() {
        #expect(text("<p>x</p><pre>  let a = 1\n  let b = 2</pre><p>y</p>") == "x\n\n  let a = 1\n  let b = 2\n\ny")
    }

    @Test func entitiesAreDecoded() {
        #expect(text("AT&amp;T &lt;tag&gt; &quot;q&quot; &apos;s&apos; caf&eacute; &copy; 2024&nbsp;x") ==
            "AT&T <tag> \"q\" 's' café © 2024 x")
        #expect(text("&#233;&#xE9;&#XE9;&#x1F600; &#150; &#0; &#xD800; &#99999999999;") == "ééé😀 – \u{FFFD} \u{FFFD} \u{FFFD}")
        #expect(text("&hellip;&mdash;&euro;&trade;") == "…—€™")
        #expect(text("AT&T &unknown; & alone &amp") == "AT&T &unknown; & alone &")
    }

    @Test func malformedMarkupDegradesGracefully() {
        #expect(text("<p>one<p>two<div>three") == "one\n\ntwo\n\nthree")
        #expect(text("if a < b and c > d then") == "if a < b and c > d then")
        #expect(text("x <3 y") == "x <3 y")
        #expect(text("<p title=\"a > b\">quoted</p>") == "quoted")
        #expect(text("before<!-- never closed <p>gone") == "before")
        #expect(text("</div></p>stray ends</span>") == "stray ends")
        #expect(text("text <b unterminated") == "text")
        #expect(text("<head><title>T</title><p>no body tag, no head end") == "no body tag, no head end")
        #expect(text("<svg><text>drawn</text></svg>after") == "after")
        #expect(text("<p>a</p><svg><g>never closed</body>tail") == "a\n\ntail")
    }

    @Test func titleFallsBackToFirstHeading() {
        #expect(HTMLText.extract("<body><h1> Main <em>topic</em> </h1><p>x</p><h1>Other</h1>").title == "Main topic")
        #expect(HTMLText.extract("<p>none</p>").title == nil)
        #expect(HTMLText.extract("<title>T &amp; U</title><h1>H</h1>").title == "T & U")
        #expect(HTMLText.extract("<svg><title>icon</title></svg><p>x</p>").title == nil)
    }

    @Test func pathologicalInputsTakeLinearTime() {
        let inputs = [
            String(repeating: "<", count: 200_000),
            String(repeating: "<a ", count: 100_000),
            String(repeating: "&#", count: 100_000),
            String(repeating: "<!--", count: 50_000),
            String(repeating: "<script>", count: 30_000),
            String(repeating: "<p title='", count: 30_000),
            String(repeating: "</", count: 100_000),
        ]
        for input in inputs {
            let start = ContinuousClock.now
            _ = HTMLText.extract(input)
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(5), "\(input.prefix(10))... took \(elapsed)")
        }
    }
}

@Suite struct MarkdownTextTests {
    @Test func firstLevelOneHeadingIsTheTitle() {
        #expect(MarkdownText.suggestedTitle("intro\n\n## Sub\n\n# The Title #\n\n# Second") == "The Title")
        #expect(MarkdownText.suggestedTitle("```bash\n# a comment\n```\n# Real") == "Real")
        #expect(MarkdownText.suggestedTitle("Setext Title\n============\n\ntext") == "Setext Title")
        #expect(MarkdownText.suggestedTitle("---\ntitle: \"Front Matter\"\ntags: [a]\n---\n# Heading") == "Front Matter")
        #expect(MarkdownText.suggestedTitle("#hashtag is not a heading\n    # indented code") == nil)
        #expect(MarkdownText.suggestedTitle("") == nil)
    }
}
