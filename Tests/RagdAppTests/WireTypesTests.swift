import Foundation
import RagdHTTP
import RagdPipeline
import RagdStore
import Testing

@testable import RagdApp

/// The Codable `/v1` bodies send the keys the hand-written JSON sent, with `null` (not a
/// missing key) for what is unknown.
@Suite struct WireTypesTests {
    @Test func aSearchResultKeepsEveryKeyAndSendsNullForWhatIsUnknown() throws {
        let hit = SearchHit(chunkID: "c1", documentID: "d1", title: "a/b \"t\"", source: nil, ordinal: 3, text: "x",
                            score: 0.016393442622950821, vectorRank: nil, keywordRank: 2)
        var timings = StageTimings()
        timings.add("embed", milliseconds: 1.23456)
        timings.add("keyword", milliseconds: 2)
        let response = try WireJSON.response(SearchBody(
            mode: "hybrid", results: [SearchResult(hit)], timings: Dictionary(uniqueKeysWithValues: timings.roundedMilliseconds())))
        let body = try response.jsonObject()
        #expect(Set(body.keys) == ["mode", "results", "timings"])
        let result = try #require((body["results"] as? [[String: Any]])?.first)
        #expect(Set(result.keys) == ["chunk_id", "document_id", "title", "source", "ordinal", "text", "page_start", "page_end",
                                     "score", "ranks"])
        #expect(result["source"] is NSNull && result["page_start"] is NSNull && result["page_end"] is NSNull)
        #expect(result["title"] as? String == "a/b \"t\"")
        // Compared as text: Foundation's parser on Linux reads the last digit wrong, and the
        // point is that the score is written as `String(Double)` wrote it before.
        #expect(try response.bodyText().contains(#""score":\#(String(hit.score)),"#))
        let ranks = try #require(result["ranks"] as? [String: Any])
        #expect(ranks["vector"] is NSNull && ranks["keyword"] as? Int == 2)
        #expect(body["timings"] as? [String: Double] == ["embed": 1.235, "keyword": 2])
    }

    @Test func slashesAreNotEscaped() throws {
        let response = try WireJSON.response(ListBody(data: ["docs/a.txt"]))
        #expect(try response.bodyText() == #"{"data":["docs/a.txt"]}"#)
        #expect(response.headers["content-type"] == "application/json")
    }

    @Test func aNumberJSONCannotHoldIsAServerFault() throws {
        let hit = SearchHit(chunkID: "c", documentID: "d", title: "t", source: nil, ordinal: 0, text: "x", score: .nan,
                            vectorRank: nil, keywordRank: nil)
        #expect(throws: Problem.self) { try WireJSON.response(SearchResult(hit)) }
    }
}
