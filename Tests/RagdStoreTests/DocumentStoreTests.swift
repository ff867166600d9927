import Foundation
import RagdCore
import RagdPostgres
import RagdStore
import RagdText
import Testing

/// A fresh database per test suite run, on the PostgreSQL the test environment names.
final class TestDatabase: @unchecked Sendable {
    let url: String
    let name: String
    private let adminURL: String

    /// `locale`: the new database's LC_COLLATE and LC_CTYPE (e.g. "C", "C.UTF-8"); nil
    /// inherits the server's default.
    init(locale: String? = nil) throws {
        guard let base = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw TestError("DATABASE_URL is not set: run the tests through scripts/test.sh (it starts PostgreSQL)")
        }
        adminURL = base
        name = "ragd_test_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(12)
        let admin = try PostgresConnection(url: base)
        // The name is ours (lowercase hex) and the locales are the tests' own constants.
        let options = locale.map { " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE '\($0)' LC_CTYPE '\($0)'" } ?? ""
        try admin.query("CREATE DATABASE \(name)\(options)")
        admin.close()
        url = Self.replaceDatabase(in: base, with: name)
    }

    func drop() {
        guard let admin = try? PostgresConnection(url: adminURL) else { return }
        _ = try? admin.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        admin.close()
    }

    static func replaceDatabase(in url: String, with name: String) -> String {
        var parts = url.split(separator: "?", maxSplits: 1).map(String.init)
        if let slash = parts[0].range(of: "/", options: .backwards), slash.lowerBound > parts[0].index(parts[0].startIndex, offsetBy: 10) {
            parts[0] = String(parts[0][..<slash.lowerBound]) + "/" + name
        }
        return parts.joined(separator: "?")
    }
}

/// A fresh database with every migration applied and a store on it, for the lifetime of a
/// suite instance (the database is dropped with the fixture).
final class MigratedStore: @unchecked Sendable {
    let database: TestDatabase
    let store: DocumentStore

    init() throws {
        database = try TestDatabase()
        let connection = try PostgresConnection(url: database.url)
        try Migrations.run(on: connection)
        store = DocumentStore(connection: connection)
    }

    deinit {
        store.connection.close()
        database.drop()
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite(.serialized)
final class DocumentStoreTests {
    /// A fresh migrated database for this suite, dropped with it.
    let fixture: MigratedStore
    var database: TestDatabase { fixture.database }
    var store: DocumentStore { fixture.store }

    init() throws { fixture = try MigratedStore() }

    /// The lease owner these tests ingest as (a host no real process runs on).
    static let owner = "store-tests/1/1"

    /// Marks a pending document ready with its chunks' terms, as the ingest pipeline does.
    func publish(_ document: NewDocument, _ chunks: [NewChunk]) throws {
        let published = try store.markReady(id: document.id, tenant: document.tenant, owner: Self.owner, terms: DocumentTerms(chunks: chunks.map { chunk in
            let (counts, length) = SearchTokenizer.termFrequencies(chunk.text)
            return ChunkTerms(chunkID: chunk.id, counts: counts, length: length)
        }), keywordVersion: SearchTokenizer.version)
        guard published else { throw TestError("markReady refused: the lease is not ours") }
    }

    func keywordSearch(_ tenant: String, _ query: String) throws -> [(chunkID: String, documentID: String, score: Double)] {
        try store.keywordSearch(tenant: tenant, terms: SearchTokenizer.queryTerms(query), limit: 5, documentIDs: nil)
    }

    func newDocument(tenant: String, text: String) -> (NewDocument, [NewChunk]) {
        let id = Identifier.uuid()
        let chunks = text.split(separator: "\n").enumerated().map { NewChunk(id: Identifier.uuid(), ordinal: $0.offset, text: String($0.element)) }
        return (NewDocument(id: id, tenant: tenant, title: "T \(text.prefix(10))", source: nil, contentType: "text/plain",
                            sha256: String(text.hashValue), metadataJSON: #"{"team":"x"}"#, byteSize: text.utf8.count), chunks)
    }

    @Test func migrationsRunOnceWhenSeveralPodsStartTogether() throws {
        let fresh = try TestDatabase()
        defer { fresh.drop() }
        // Four "pods" at once on an empty database: the advisory lock lets one apply
        // everything; the others find nothing left to do, and none fails.
        let box = ResultsBox(Array(repeating: nil, count: 4))
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            box.set(index, Result {
                let connection = try PostgresConnection(url: fresh.url)
                defer { connection.close() }
                return try Migrations.run(on: connection)
            })
        }
        let applied = try box.values.map { try $0!.get() }
        #expect(applied.filter { $0 == Migrations.all.map(\.version) }.count == 1)
        #expect(applied.filter { $0.isEmpty }.count == 3)
        let check = try PostgresConnection(url: fresh.url)
        defer { check.close() }
        #expect(try check.query("SELECT count(*) FROM schema_migrations")[0, 0] == String(Migrations.all.count))
    }

    @Test func pendingDocumentsAreInvisibleUntilReady() throws {
        let (document, chunks) = newDocument(tenant: "a", text: "alpha beta\ngamma delta")
        #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
        #expect(try store.document(id: document.id, tenant: "a") == nil)
        #expect(try store.listDocuments(tenant: "a", limit: 10, after: nil).isEmpty)
        #expect(try keywordSearch("a", "gamma").isEmpty)
        try publish(document, chunks)
        #expect(try store.document(id: document.id, tenant: "a")?.chunkCount == 2)
        #expect(try keywordSearch("a", "gamma").count == 1)
    }

    /// Cached answers are keyed by the corpus version: every change to a tenant's
    /// documents must move it forward, and only that tenant's.
    @Test func corpusVersionMovesWithEveryChangeOfTheTenantsDocuments() throws {
        #expect(try store.corpusVersion(tenant: "cv") == 0)
        let (document, chunks) = newDocument(tenant: "cv", text: "versioned text")
        #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
        let afterInsert = try store.corpusVersion(tenant: "cv")
        #expect(afterInsert > 0)
        try publish(document, chunks)
        let afterReady = try store.corpusVersion(tenant: "cv")
        #expect(afterReady > afterInsert)
        #expect(try store.corpusVersion(tenant: "cv-other") == 0)
        #expect(try store.deleteDocument(id: document.id, tenant: "cv"))
        #expect(try store.corpusVersion(tenant: "cv") > afterReady)
        #expect(try store.corpusVersion(tenant: "cv-other") == 0)
    }

    @Test func sameContentInATenantIsStoredOnce() throws {
        let (document, chunks) = newDocument(tenant: "a", text: "unique text one")
        #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
        var copy = document
        copy.id = Identifier.uuid()
        #expect(try store.insertPending(copy, chunks: chunks.map { NewChunk(id: Identifier.uuid(), ordinal: $0.ordinal, text: $0.text) }, owner: Self.owner, leaseSeconds: 60) == false)
        #expect(try store.document(tenant: "a", sha256: document.sha256)?.id == document.id)
        // Another tenant may hold the same content.
        var other = document
        other.id = Identifier.uuid()
        other.tenant = "b"
        #expect(try store.insertPending(other, chunks: chunks.map { NewChunk(id: Identifier.uuid(), ordinal: $0.ordinal, text: $0.text) }, owner: Self.owner, leaseSeconds: 60))
    }

    @Test func everyReadIsScopedToTheTenant() throws {
        let (document, chunks) = newDocument(tenant: "alice", text: "secret plans of alice\nmore secret plans")
        #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
        try publish(document, chunks)
        #expect(try store.document(id: document.id, tenant: "bob") == nil)
        #expect(try store.chunks(documentID: document.id, tenant: "bob", limit: 10, offset: 0).isEmpty)
        #expect(try store.chunks(ids: chunks.map(\.id), tenant: "bob").isEmpty)
        #expect(try keywordSearch("bob", "secret plans").isEmpty)
        #expect(try keywordSearch("alice", "secret plans").count == 2)
        #expect(try store.listDocuments(tenant: "bob", limit: 10, after: nil).isEmpty)
        #expect(try store.deleteDocument(id: document.id, tenant: "bob") == false)
        #expect(try store.document(id: document.id, tenant: "alice") != nil)
        #expect(try store.chunks(ids: chunks.map(\.id), tenant: "alice").count == 2)
    }

    @Test func pdfPagesAreStoredPerChunkAndNullOtherwise() throws {
        var (document, chunks) = newDocument(tenant: "pages", text: "cover page\nsecond and third page\nlast page")
        document.pageCount = 9
        chunks[0].pages = PageRange(start: 1, end: 1)
        chunks[1].pages = PageRange(start: 2, end: 3)
        chunks[2].pages = PageRange(start: 9, end: 9)
        #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
        try publish(document, chunks)
        #expect(try store.document(id: document.id, tenant: "pages")?.pageCount == 9)
        let listed = try store.chunks(documentID: document.id, tenant: "pages", limit: 10, offset: 0)
        #expect(listed.map(\.pages) == chunks.map(\.pages))
        let found = try store.chunks(ids: [chunks[1].id], tenant: "pages")
        #expect(found.first?.pages == PageRange(start: 2, end: 3))

        let (plain, plainChunks) = newDocument(tenant: "pages", text: "no pages here")
        #expect(try store.insertPending(plain, chunks: plainChunks, owner: Self.owner, leaseSeconds: 60))
        try publish(plain, plainChunks)
        #expect(try store.document(id: plain.id, tenant: "pages")?.pageCount == nil)
        #expect(try store.chunks(ids: [plainChunks[0].id], tenant: "pages").first?.pages == nil)

        // The database refuses a range that ends before it starts.
        var (bad, badChunks) = newDocument(tenant: "pages", text: "backwards")
        badChunks[0].pages = PageRange(start: 5, end: 4)
        bad.pageCount = 5
        #expect(throws: StoreError.self) { try self.store.insertPending(bad, chunks: badChunks, owner: Self.owner, leaseSeconds: 60) }
        #expect(try store.document(tenant: "pages", sha256: bad.sha256) == nil, "nothing of it was written")
    }

    @Test func hostileTextIsStoredVerbatim() throws {
        let text = "Robert'); DROP TABLE documents;--\n\\x00 \" ' $1 $$ quoted $$"
        let (document, chunks) = newDocument(tenant: "a", text: text)
        #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
        try publish(document, chunks)
        let stored = try store.chunks(documentID: document.id, tenant: "a", limit: 10, offset: 0).map(\.text)
        #expect(stored == text.split(separator: "\n").map(String.init))
    }

    @Test func listingPagesNewestFirstWithoutGapsOrRepeats() throws {
        var ids: [String] = []
        for i in 0..<7 {
            let (document, chunks) = newDocument(tenant: "pager", text: "page document \(i)")
            #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
            try publish(document, chunks)
            ids.append(document.id)
        }
        var seen: [String] = []
        var after: (createdAt: String, id: String)?
        while true {
            let page = try store.listDocuments(tenant: "pager", limit: 3, after: after)
            seen += page.map(\.id)
            guard page.count == 3, let last = page.last else { break }
            after = (last.createdAt, last.id)
        }
        #expect(seen.count == 7)
        #expect(Set(seen) == Set(ids))
        #expect(seen.first == ids.last, "newest first")
    }

    @Test func deleteRemovesChunksToo() throws {
        let (document, chunks) = newDocument(tenant: "a", text: "to be deleted\nsoon")
        #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
        try publish(document, chunks)
        #expect(try store.deleteDocument(id: document.id, tenant: "a"))
        #expect(try store.allChunks(documentID: document.id, tenant: "a").isEmpty)
        #expect(try store.document(id: document.id, tenant: "a") == nil)
    }

    // MARK: leases of pending documents

    @Test func aTakenOverDocumentIsNeverPublishedByItsFormerOwner() throws {
        let (document, chunks) = newDocument(tenant: "lease", text: "pending while its worker dies")
        #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
        let seen = try #require(try store.pendingLease(id: document.id, tenant: "lease"))
        #expect(seen.owner == Self.owner && !seen.expired)
        #expect(try store.pendingLease(id: document.id, tenant: "other") == nil, "tenant-scoped")

        // A takeover judged on a stale view of the lease loses; on the current one it wins once.
        var stale = seen
        stale.owner = "someone-else/2/2"
        #expect(try store.takeOver(stale, newOwner: "janitor/3/3", seconds: 60) == false)
        #expect(try store.takeOver(seen, newOwner: "janitor/3/3", seconds: 60))
        #expect(try store.takeOver(seen, newOwner: "janitor/4/4", seconds: 60) == false, "only one janitor wins")

        #expect(try store.markReady(id: document.id, tenant: "lease", owner: Self.owner, terms: DocumentTerms(chunks: []), keywordVersion: 1) == false)
        #expect(try store.pendingLease(id: document.id, tenant: "lease")?.owner == "janitor/3/3", "still pending, the janitor's")
        #expect(try store.renewLeases(owner: Self.owner, seconds: 60) == 0, "the former owner renews nothing")
        #expect(try store.renewLeases(owner: "janitor/3/3", seconds: 60) == 1)
    }

    @Test func theJanitorSeesExpiredLeasesAnywhereAndThisHostsOwners() throws {
        let (expired, expiredChunks) = newDocument(tenant: "lease", text: "a lease that ran out")
        #expect(try store.insertPending(expired, chunks: expiredChunks, owner: "far-host/7/7", leaseSeconds: 0))
        let (local, localChunks) = newDocument(tenant: "lease", text: "owned on this host")
        #expect(try store.insertPending(local, chunks: localChunks, owner: "this-host/8/8", leaseSeconds: 60))
        let (remote, remoteChunks) = newDocument(tenant: "lease", text: "owned elsewhere, lease valid")
        #expect(try store.insertPending(remote, chunks: remoteChunks, owner: "far-host/9/9", leaseSeconds: 60))
        // A host name that only starts like this one's is another host.
        let (lookalike, lookalikeChunks) = newDocument(tenant: "lease", text: "owned on this-host-2")
        #expect(try store.insertPending(lookalike, chunks: lookalikeChunks, owner: "this-host-2/5/5", leaseSeconds: 60))

        let candidates = try store.reclaimCandidates(host: "this-host", limit: 10)
        #expect(Set(candidates.map(\.documentID)) == [expired.id, local.id])
        #expect(candidates.first { $0.documentID == expired.id }?.expired == true)
        #expect(candidates.first { $0.documentID == local.id }?.expired == false)
    }

}

final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<[Int], Error>?]
    init(_ values: [Result<[Int], Error>?]) { storage = values }
    func set(_ index: Int, _ value: Result<[Int], Error>) { lock.lock(); storage[index] = value; lock.unlock() }
    var values: [Result<[Int], Error>?] { lock.lock(); defer { lock.unlock() }; return storage }
}
