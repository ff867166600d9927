import RagdTesting
import Testing
import RagdPostgres

/// Live tests against a throwaway PostgreSQL 15 cluster started for this suite.
@Suite(.serialized, .throwawayPostgres, .timeLimit(.minutes(3)))
struct PostgresConnectionTests {
    private func server() throws -> ThrowawayPostgres {
        try #require(ThrowawayPostgres.current)
    }

    @Test func selectOneAndPing() throws {
        let db = try PostgresConnection(url: try server().url)
        let result = try db.query("SELECT 1 AS one")
        #expect(result.rowCount == 1)
        #expect(result.columnNames == ["one"])
        #expect(result[0, 0] == "1")
        #expect(result[0, "one"] == "1")
        let rtt = try db.ping(timeout: .seconds(1))
        #expect(rtt < .seconds(1))
    }

    @Test func parametersAreNeverParsedAsSQL() throws {
        let db = try PostgresConnection(url: try server().url)
        try db.query("CREATE TABLE IF NOT EXISTS injection_probe (name text)")
        try db.query("TRUNCATE injection_probe")
        let hostile = "x'); DROP TABLE injection_probe; --\"; SELECT 'pwned"
        let insert = try db.query("INSERT INTO injection_probe (name) VALUES ($1)", [hostile])
        #expect(insert.affectedRows == 1)
        #expect(insert.commandTag == "INSERT 0 1")

        let rows = try db.query("SELECT name FROM injection_probe WHERE name = $1", [hostile])
        #expect(rows.rowCount == 1)
        #expect(rows[0, 0] == hostile)
        // The table survived and holds exactly the one row.
        #expect(try db.query("SELECT count(*) FROM injection_probe")[0, 0] == "1")

        let mixed = try db.query("SELECT $1::text AS a, $2::int + 1 AS b, $3::text IS NULL AS c, $4::text AS d",
                                 ["semi;colon 'quote' \\back", "41", nil, "雪 ünïcode"])
        #expect(mixed.rows == [["semi;colon 'quote' \\back", "42", "t", "雪 ünïcode"]])
        #expect(mixed[0, "c"] == "t")
    }

    @Test func severalStatementsInOneCallAreRefused() throws {
        let db = try PostgresConnection(url: try server().url)
        #expect {
            try db.query("SELECT 1; SELECT 2")
        } throws: { error in
            (error as? PostgresError)?.code == .query
        }
        // The connection is still fine afterwards.
        #expect(try db.query("SELECT 2")[0, 0] == "2")
    }

    @Test func nulBytesInParametersAreRefused() throws {
        let db = try PostgresConnection(url: try server().url)
        #expect {
            try db.query("SELECT $1::text", ["a\u{0}b"])
        } throws: { error in
            (error as? PostgresError)?.code == .invalidParameter
        }
    }

    @Test func queryErrorsCarrySQLState() throws {
        let db = try PostgresConnection(url: try server().url)
        do {
            try db.query("SELECT * FROM no_such_table_here")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .query)
            #expect(error.sqlState == "42P01")
        }
        #expect(try db.query("SELECT 3")[0, 0] == "3")
    }

    @Test func wrongPasswordErrorDoesNotContainThePassword() throws {
        let wrong = "Wrong-Pass-55aa"
        let db = try PostgresConnection(url: try server().url(password: wrong))
        do {
            try db.connect()
            Issue.record("expected an authentication failure")
        } catch {
            #expect(error.code == .connection)
            #expect(error.message.contains("password authentication failed"))
            #expect(!error.description.contains(wrong))
            #expect(!error.description.contains("postgres://"))
        }
    }

    @Test func invalidURLsAreReportedWithoutThePassword() throws {
        let secret = "Top%zzSecret"
        do {
            try PostgresConnection.validate(url: "postgres://user:\(secret)@localhost/db")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.code == .invalidURL)
            #expect(!error.description.contains("Secret"))
        }
        do {
            try PostgresConnection.validate(url: "host=db password=KeywordSecret")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.code == .invalidURL)
            #expect(!error.description.contains("KeywordSecret"))
        }
        do {
            try PostgresConnection.validate(url: "postgres://u:QuerySecret@h/db?bogus_option=QuerySecret")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.code == .invalidURL)
            #expect(!error.description.contains("QuerySecret"))
        }
        try PostgresConnection.validate(url: try server().url)
    }

    @Test func statementTimeoutIsReportedAsTimeout() throws {
        let options = PostgresConnection.Options(statementTimeout: .milliseconds(200))
        let db = try PostgresConnection(url: try server().url, options: options)
        #expect(try db.query("SHOW statement_timeout")[0, 0] == "200ms")
        let start = ContinuousClock.now
        do {
            try db.query("SELECT pg_sleep(5)")
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.sqlState == "57014")
        }
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(try db.query("SELECT 4")[0, 0] == "4")
    }

    @Test func clientSideQueryTimeoutDropsTheConnectionAndRecovers() throws {
        let options = PostgresConnection.Options(queryTimeout: .milliseconds(300))
        let db = try PostgresConnection(url: try server().url, options: options)
        try db.connect()
        let start = ContinuousClock.now
        do {
            try db.query("SELECT pg_sleep(3)")
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(250))
        #expect(elapsed < .milliseconds(2500), "the 300 ms timeout, not the 3 s sleep")
        #expect(!db.isConnected)
        #expect(try db.query("SELECT 5")[0, 0] == "5")
    }

    @Test func reconnectsAfterTheServerRestarts() throws {
        let server = try server()
        let db = try PostgresConnection(url: server.url)
        let pidBefore = try #require(try db.query("SELECT pg_backend_pid()")[0, 0])

        try server.stop()
        try server.start()
        // The server closed the idle session; the next call notices and reconnects.
        let pidAfter = try #require(try db.query("SELECT pg_backend_pid()")[0, 0])
        #expect(pidAfter != pidBefore)

        // While the server is down calls fail fast with a connection error, and work
        // again once it is back.
        try server.stop()
        do {
            try db.query("SELECT 1")
            Issue.record("expected a connection error while the server is down")
        } catch {
            #expect(error.code == .connection)
        }
        try server.start()
        #expect(try db.query("SELECT 6")[0, 0] == "6")
        try db.ping(timeout: .seconds(1))
    }

    @Test func pingIsBoundedWhenTheServerNeverAnswers() throws {
        let hole = try BlackHoleListener()
        let db = try PostgresConnection(url: "postgres://postgres:\(ThrowawayPostgres.password)@127.0.0.1:\(hole.port)/postgres")
        let start = ContinuousClock.now
        do {
            try db.ping(timeout: .milliseconds(300))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
            #expect(!error.description.contains(ThrowawayPostgres.password))
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(250))
        #expect(elapsed < .seconds(5), "the 300 ms ping timeout, not a server that never answers")
    }

    @Test func connectingToAClosedPortFailsFast() throws {
        let port = try TestSupport.freePort()
        let db = try PostgresConnection(url: "postgres://postgres:\(ThrowawayPostgres.password)@127.0.0.1:\(port)/postgres")
        let start = ContinuousClock.now
        do {
            try db.ping(timeout: .seconds(2))
            Issue.record("expected a connection error")
        } catch {
            #expect(error.code == .connection)
            #expect(!error.description.contains(ThrowawayPostgres.password))
        }
        #expect(ContinuousClock.now - start < .seconds(1))
    }
}
