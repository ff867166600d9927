/// The scopes ragd knows (RFC 9068 style: the `scope` claim is a space-separated list).
public enum AuthScope {
    /// Read and list documents.
    public static let documentsRead = "documents:read"
    /// Ingest, replace and delete documents.
    public static let documentsWrite = "documents:write"
    /// Ask questions (retrieval and generation).
    public static let query = "query"

    /// Every scope ragd checks; `TokenIssuer` mints only these.
    public static let known: Set<String> = [documentsRead, documentsWrite, query]
}
