import CLibpq

/// The rows of one successful statement, in text format. Owns the `PGresult` and frees it
/// with `PQclear` in `deinit`.
///
/// A `PGresult` is immutable once returned, so reading it from several threads is safe;
/// that is why this class may be `Sendable`.
public final class PostgresResult: @unchecked Sendable {
    private let handle: OpaquePointer

    init(taking handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    /// Number of rows returned (0 for statements that return none).
    public var rowCount: Int { Int(PQntuples(handle)) }

    /// Number of columns in each row.
    public var columnCount: Int { Int(PQnfields(handle)) }

    /// Column names in order.
    public var columnNames: [String] {
        (0..<columnCount).map { String(cString: PQfname(handle, Int32($0))) }
    }

    /// Index of the column called `name`, or nil.
    public func columnIndex(named name: String) -> Int? {
        let index = Int(PQfnumber(handle, "\"\(name.replacing("\"", with: "\"\""))\""))
        return index >= 0 ? index : nil
    }

    /// The text value at `row`, `column`, or nil for SQL NULL. Traps when out of range,
    /// like an array subscript.
    public subscript(row: Int, column: Int) -> String? {
        precondition(row >= 0 && row < rowCount && column >= 0 && column < columnCount,
                     "PostgresResult index out of range")
        if PQgetisnull(handle, Int32(row), Int32(column)) == 1 { return nil }
        guard let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        // PQgetlength handles values that are not NUL-terminated strings in binary mode;
        // in text format the length is exact too.
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return value.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// The text value at `row` in the column called `column`, or nil for SQL NULL or an
    /// unknown column.
    public subscript(row: Int, column: String) -> String? {
        guard let index = columnIndex(named: column) else { return nil }
        return self[row, index]
    }

    /// All rows as arrays of optional text values (nil for SQL NULL).
    public var rows: [[String?]] {
        (0..<rowCount).map { row in (0..<columnCount).map { self[row, $0] } }
    }

    /// The command tag, for example `INSERT 0 3` or `SELECT 1`.
    public var commandTag: String { String(cString: PQcmdStatus(handle)) }

    /// Rows affected by INSERT/UPDATE/DELETE/MERGE/SELECT/MOVE/FETCH/COPY, or nil for
    /// other commands.
    public var affectedRows: Int? {
        guard let text = PQcmdTuples(handle) else { return nil }
        return Int(String(cString: text))
    }
}
