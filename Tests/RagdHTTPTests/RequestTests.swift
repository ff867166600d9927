import RagdHTTP
import Testing

@Suite("Request query")
struct RequestTests {
    static func items(_ query: String) -> [String] {
        makeRequest("/?" + query).queryItems.map { "\($0.name)=\($0.value)" }
    }

    @Test func emptyQueryHasNoItems() {
        #expect(makeRequest("/").queryItems.isEmpty)
        #expect(makeRequest("/?").queryItems.isEmpty)
    }

    @Test func plusAndPercentEscapesAreDecoded() {
        #expect(Self.items("q=a+b") == ["q=a b"])
        #expect(Self.items("q=a%20b%2Bc") == ["q=a b+c"])          // an encoded plus is a plus
        #expect(Self.items("my+name=x") == ["my name=x"])           // names are decoded too
        #expect(Self.items("q=%E6%97%A5%e6%9c%ac") == ["q=日本"])    // either hex case
        #expect(Self.items("q=%26%3D") == ["q=&="])                 // escaped separators are data
    }

    @Test func malformedEscapesAreKept() {
        #expect(Self.items("q=%zz") == ["q=%zz"])
        #expect(Self.items("q=100%") == ["q=100%"])
        #expect(Self.items("q=%4") == ["q=%4"])
        #expect(Self.items("q=%%41") == ["q=%A"])
    }

    @Test func repeatedNamesKeepTheirOrder() {
        let request = makeRequest("/?tag=a&x=1&tag=b")
        #expect(request.queryItems.map(\.name) == ["tag", "x", "tag"])
        #expect(request.queryItems.filter { $0.name == "tag" }.map(\.value) == ["a", "b"])
        #expect(request.queryValue("tag") == "a")
    }

    @Test func bareNamesAndEmptyValues() {
        let request = makeRequest("/status?full&limit=&=orphan")
        #expect(request.queryItems.map(\.name) == ["full", "limit", ""])
        #expect(request.queryValue("full") == "")
        #expect(request.queryValue("limit") == "")
        #expect(request.hasQueryParameter("full"))
        #expect(request.hasQueryParameter("limit"))
        #expect(!request.hasQueryParameter("missing"))
        #expect(request.queryValue("missing") == nil)
    }

    @Test func emptyPairsAreSkippedAndValuesMayContainEquals() {
        #expect(Self.items("&a=1&&b=2&") == ["a=1", "b=2"])
        #expect(Self.items("filter=a=b") == ["filter=a=b"])
    }

    @Test func lookupIsCaseSensitiveAndDecoded() {
        let request = makeRequest("/?Top+K=5")
        #expect(request.queryValue("Top K") == "5")
        #expect(request.queryValue("top k") == nil)
        #expect(!request.hasQueryParameter("Top+K"))
    }

    @Test func percentDecodingOutsideQueries() {
        #expect(PercentDecoding.decode("a+b") == "a+b")
        #expect(PercentDecoding.decode("a+b", plusAsSpace: true) == "a b")
        #expect(PercentDecoding.decode("plain") == "plain")
        #expect(PercentDecoding.decode("%41%42%43") == "ABC")
        // Invalid UTF-8 after decoding is replaced, never a crash.
        #expect(PercentDecoding.decode("%FF") == "\u{FFFD}")
    }
}
