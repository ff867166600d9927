import Foundation
import RagdText

/// A PDF's page map as a background job keeps it in PostgreSQL (`ingest_jobs.pages`):
/// `{"count": 12, "starts": [[0, 1], [1840, 2], ...]}` (offset in Unicode scalars, page).
enum PageMapJSON {
    static func encode(_ map: PageMap) -> String {
        "{\"count\":\(map.pageCount),\"starts\":[" + map.starts.map { "[\($0.offset),\($0.page)]" }.joined(separator: ",") + "]}"
    }

    /// Nil for anything but that shape (the job then ingests without pages).
    static func decode(_ json: String) -> PageMap? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
              let count = object["count"] as? Int, let pairs = object["starts"] as? [[Int]],
              pairs.allSatisfy({ $0.count == 2 }) else { return nil }
        return PageMap(starts: pairs.map { PageMap.Start(offset: $0[0], page: $0[1]) }, pageCount: count)
    }
}
