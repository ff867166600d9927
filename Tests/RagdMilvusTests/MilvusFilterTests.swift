import Testing
@testable import RagdMilvus

/// Hostile tenants and ids: quotes, backslashes, boolean operators, parentheses,
/// injected comparisons, control characters, non-ASCII, empty and over-long values.
let hostileValues: [String] = [
    "a\" || tenant == \"b",
    "a\" or tenant == \"b",
    "a\"",
    "\"",
    "a\\",
    "a\\\" || \\\"1\\\" == \\\"1",
    "a || 1 == 1",
    "a||b",
    "a&&b",
    "a or b",
    "a) or (tenant == \"b\"",
    "(a)",
    "a]",
    "[a",
    "tenant == \"b\"",
    "tenant==b",
    "a'",
    "a b",
    "a\nb",
    "a\r\n",
    "a\t",
    "a\0",
    "a%",
    "a*",
    "a,b",
    "ä",
    "租户",
    "a\u{202E}",
    "a\u{200B}",
    "ａ", // full-width a
    "",
    String(repeating: "a", count: 129),
]

/// Values that look alarming but are plain identifiers: they are allowed and end up
/// inside a string literal (the live security tests query with them and prove that no
/// other tenant's rows come back).
let oddButLegalTenants = ["or", "OR", "and", "not", "true", "1", "--", "..", "_", "tenant", "a-b.c_d"]

struct MilvusFilterTests {
    @Test func tenantFilterIsOneLiteral() throws {
        #expect(try MilvusFilter.tenant("acme").expression == #"tenant == "acme""#)
        #expect(try MilvusFilter.tenant("a-b.c_D9").expression == #"tenant == "a-b.c_D9""#)
        #expect(try MilvusFilter.tenant("or").expression == #"tenant == "or""#)
    }

    @Test func combinedFilters() throws {
        #expect(try MilvusFilter.tenant("t1", documentIDs: ["d1", "0b7e6f9c-1b2a-4c3d-8e9f-001122334455"]).expression
            == #"tenant == "t1" && document_id in ["d1","0b7e6f9c-1b2a-4c3d-8e9f-001122334455"]"#)
        #expect(try MilvusFilter.tenant("t1", documentIDs: nil).expression == #"tenant == "t1""#)
        #expect(try MilvusFilter.document("doc:3", tenant: "t1").expression == #"tenant == "t1" && document_id == "doc:3""#)
        #expect(try MilvusFilter.chunks(["c1", "c2"]).expression == #"chunk_id in ["c1","c2"]"#)
        #expect(MilvusFilter.primaryKeys([1, -2, 470748492840050693]).expression == "id in [1,-2,470748492840050693]")
    }

    @Test(arguments: hostileValues)
    func hostileTenantsAreRejected(_ value: String) {
        let error = milvusError { _ = try MilvusFilter.tenant(value) }
        #expect(error?.code == .invalidInput)
        // The message explains the rule and does not echo the value.
        if let error, value.count > 1 { #expect(!error.message.contains(value)) }
        #expect(milvusError { _ = try MilvusFilter.document("d1", tenant: value) }?.code == .invalidInput)
        #expect(milvusError { _ = try MilvusFilter.tenant(value, documentIDs: ["d1"]) }?.code == .invalidInput)
    }

    @Test(arguments: hostileValues)
    func hostileIDsAreRejected(_ value: String) {
        #expect(milvusError { _ = try MilvusFilter.document(value, tenant: "t1") }?.code == .invalidInput)
        #expect(milvusError { _ = try MilvusFilter.tenant("t1", documentIDs: ["d1", value]) }?.code == .invalidInput)
        #expect(milvusError { _ = try MilvusFilter.chunks(["c1", value]) }?.code == .invalidInput)
    }

    @Test func lengthLimits() throws {
        _ = try MilvusFilter.tenant(String(repeating: "t", count: 64))
        #expect(milvusError { _ = try MilvusFilter.tenant(String(repeating: "t", count: 65)) }?.code == .invalidInput)
        _ = try MilvusFilter.chunks([String(repeating: "c", count: 128)])
        #expect(milvusError { _ = try MilvusFilter.chunks([]) }?.code == .invalidInput)
        let many = (0...MilvusFilter.maxListCount).map { "c\($0)" }
        #expect(milvusError { _ = try MilvusFilter.chunks(many) }?.code == .invalidInput)
    }

    @Test func literalsEscapeBackslashAndQuote() {
        #expect(MilvusFilter.stringLiteral("plain") == #""plain""#)
        #expect(MilvusFilter.stringLiteral(#"a" || tenant == "b"#) == #""a\" || tenant == \"b""#)
        #expect(MilvusFilter.stringLiteral(#"a\"#) == #""a\\""#)
        #expect(MilvusFilter.stringLiteral(#"\""#) == #""\\\"""#)
    }

    @Test func collectionNamesAreChecked() throws {
        try MilvusSchema.validateCollectionName("ragd_chunks")
        try MilvusSchema.validateCollectionName("_x9")
        for bad in ["", "9abc", "a-b", "a b", "a&b=c", "a/../b", "ä", String(repeating: "a", count: 256)] {
            #expect(milvusError { try MilvusSchema.validateCollectionName(bad) }?.code == .invalidInput, "\(bad)")
        }
    }

    @Test func vectorsAreChecked() throws {
        try MilvusClient.validateVector([0, 1, 0.5], dimension: 3)
        #expect(milvusError { try MilvusClient.validateVector([0, 1], dimension: 3) }?.code == .invalidInput)
        #expect(milvusError { try MilvusClient.validateVector([], dimension: nil) }?.code == .invalidInput)
        #expect(milvusError { try MilvusClient.validateVector([0, .nan, 1], dimension: 3) }?.code == .invalidInput)
        #expect(milvusError { try MilvusClient.validateVector([0, .infinity, 1], dimension: 3) }?.code == .invalidInput)
        #expect(milvusError { try MilvusClient.validateVector([0, -.infinity, 1], dimension: 3) }?.code == .invalidInput)
        #expect(milvusError { try MilvusClient.validateVector([0, 0, 0], dimension: 3) }?.code == .invalidInput)
    }

    @Test func vectorJSONIsValidJSON() {
        let text = MilvusJSON.vector([0.1, -2, 1e-8, 3.4028235e38, -0.0])
        #expect(text == "[0.1,-2.0,1e-08,3.4028235e+38,-0.0]")
    }
}
