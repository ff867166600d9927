import Testing
@testable import RagdEmbedding

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}

func norm(_ a: [Float]) -> Float { cosine(a, a).squareRoot() }

@Suite struct LocalHashingEmbedderTests {
    @Test func vectorsHaveTheDimensionAndUnitLength() throws {
        let embedder = try LocalHashingEmbedder()
        #expect(embedder.dimension == 384)
        #expect(embedder.model == "ragd-local-hashing-v1")
        let texts = ["Hello world", "", "   ", "?!...", "検索拡張生成", "a", String(repeating: "long text ", count: 5000)]
        let vectors = try embedder.embed(texts)
        #expect(vectors.count == texts.count)
        for vector in vectors {
            #expect(vector.count == 384)
            #expect(abs(norm(vector) - 1) < 1e-4)
            #expect(vector.allSatisfy { $0.isFinite })
        }
        let small = try LocalHashingEmbedder(dimension: 8)
        #expect(try small.embed(["x y z"])[0].count == 8)
        #expect(throws: EmbeddingError.self) { try LocalHashingEmbedder(dimension: 0) }
    }

    @Test func isDeterministicAcrossInstancesAndPurposes() throws {
        let a = try LocalHashingEmbedder(), b = try LocalHashingEmbedder()
        let text = "The worker pool accepts FastCGI requests."
        #expect(a.vector(for: text) == b.vector(for: text))
        #expect(try a.embed([text], purpose: .query) == a.embed([text], purpose: .document))
        #expect(try a.embedQuery(text) == a.vector(for: text))
    }

    /// Pins the hash: a process-seeded hash (Swift's `hashValue`) would change these
    /// between runs, and stored vectors would silently stop matching new queries.
    @Test func hashIsStableAcrossProcesses() throws {
        let vector = try LocalHashingEmbedder(dimension: 16).vector(for: "ragd")
        let signature = vector.map { $0 > 0.05 ? "+" : $0 < -0.05 ? "-" : "0" }.joined()
        #expect(signature == LocalHashingEmbedderTests.ragdSignature, "got \(signature)")
    }
    static let ragdSignature = "0-00+0-00+00000+"

    @Test func similarTextsAreCloserThanUnrelatedOnes() throws {
        let embedder = try LocalHashingEmbedder()
        let query = embedder.vector(for: "How do I configure the PostgreSQL connection pool?")
        let related = embedder.vector(for: "Configuring the connection pool for PostgreSQL databases")
        let unrelated = embedder.vector(for: "Bananas are a good source of potassium and fibre.")
        #expect(cosine(query, related) > cosine(query, unrelated) + 0.2)
        // Inflections and typos still overlap through character trigrams.
        let typo = embedder.vector(for: "configuraton of postgres pooling")
        #expect(cosine(query, typo) > cosine(query, unrelated))
        // Chinese without spaces: shared character bigrams.
        let zh = embedder.vector(for: "向量数据库的检索性能")
        let zhRelated = embedder.vector(for: "提高向量检索的性能")
        let zhUnrelated = embedder.vector(for: "今天天气很好适合散步")
        #expect(cosine(zh, zhRelated) > cosine(zh, zhUnrelated) + 0.2)
    }
}
