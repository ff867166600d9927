import Foundation
import RagdTesting
import Testing
import RagdCurl

/// Live tests against a local Python HTTP server (one per test) and, when reachable, the
/// Milvus REST API.
@Suite(.timeLimit(.minutes(2)))
struct HTTPClientTests {
    @Test func getReturnsStatusHeadersAndBody() throws {
        let server = try LocalHTTPServer()
        let client = try HTTPClient()
        let response = try client.send(HTTPClientRequest(url: server.baseURL + "/echo?a=1",
                                                         headers: [("X-Test", "hello")]))
        #expect(response.status == 200)
        #expect(response.header("x-method") == "GET")
        #expect(response.header("X-Test") == "hello")
        #expect(response.header("X-Query") == "a=1")
        #expect(response.body.isEmpty)

        let missing = try client.send(HTTPClientRequest(url: server.baseURL + "/status/404"))
        #expect(missing.status == 404)
        #expect(missing.bodyText == "status body")
        let failing = try client.send(HTTPClientRequest(url: server.baseURL + "/status/503"))
        #expect(failing.status == 503)

        let head = try client.send(HTTPClientRequest(method: "HEAD", url: server.baseURL + "/big"))
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "100000")
        #expect(head.body.isEmpty)
    }

    @Test func postPutDeleteSendBodiesVerbatim() throws {
        let server = try LocalHTTPServer()
        let client = try HTTPClient()
        let binary: [UInt8] = Array(0...255) + Array(repeating: 7, count: 5000)
        let post = try client.send(HTTPClientRequest(method: "POST", url: server.baseURL + "/echo",
                                                     headers: [("Content-Type", "application/octet-stream")],
                                                     body: binary))
        #expect(post.status == 200)
        #expect(post.header("X-Method") == "POST")
        #expect(post.body == binary)

        let put = try client.send(HTTPClientRequest(method: "PUT", url: server.baseURL + "/echo",
                                                    body: Array(#"{"k":"v"}"#.utf8)))
        #expect(put.header("X-Method") == "PUT")
        #expect(put.bodyText == #"{"k":"v"}"#)

        let delete = try client.send(HTTPClientRequest(method: "DELETE", url: server.baseURL + "/echo"))
        #expect(delete.header("X-Method") == "DELETE")

        let emptyPost = try client.send(HTTPClientRequest(method: "POST", url: server.baseURL + "/echo", body: []))
        #expect(emptyPost.status == 200)
        #expect(emptyPost.body.isEmpty)
    }

    @Test func theHandleKeepsConnectionsAlive() throws {
        let server = try LocalHTTPServer()
        let client = try HTTPClient()
        let first = try client.send(HTTPClientRequest(url: server.baseURL + "/peer")).bodyText
        let second = try client.send(HTTPClientRequest(url: server.baseURL + "/peer")).bodyText
        // The same client port means the same TCP connection was reused.
        #expect(!first.isEmpty)
        #expect(first == second)
    }

    @Test func timeoutIsBoundedWhenTheServerNeverAnswers() throws {
        let hole = try BlackHoleListener()
        let client = try HTTPClient(options: .init(connectTimeout: .milliseconds(500), timeout: .milliseconds(400)))
        let secret = "Bearer sk-Never-Echo-This"
        let start = ContinuousClock.now
        do {
            _ = try client.send(HTTPClientRequest(method: "POST",
                                                  url: "http://user:UrlPass@127.0.0.1:\(hole.port)/v1/chat?api_key=QueryKey",
                                                  headers: [("Authorization", secret)], body: Array("{}".utf8)))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
            #expect(!error.description.contains("sk-Never-Echo-This"))
            #expect(!error.description.contains("UrlPass"))
            #expect(!error.description.contains("QueryKey"))
            #expect(error.description.contains("127.0.0.1:\(hole.port)/v1/chat"))
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(350))
        // Bounded by the 400 ms timeout, not by the server (which never answers); generous
        // for a loaded machine.
        #expect(elapsed < .seconds(5))
    }

    @Test func refusedConnectionIsAConnectError() throws {
        let port = try TestSupport.freePort()
        let client = try HTTPClient()
        #expect {
            try client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
        } throws: { error in
            (error as? HTTPClientError)?.code == .connect
        }
    }

    @Test func badRequestsAreRefusedBeforeSending() throws {
        let client = try HTTPClient()
        #expect {
            try client.send(HTTPClientRequest(url: "file:///etc/passwd"))
        } throws: { error in
            (error as? HTTPClientError)?.code == .invalidRequest
        }
        do {
            _ = try client.send(HTTPClientRequest(url: "http://127.0.0.1:1/",
                                                  headers: [("Authorization", "Bearer Injected-Secret\r\nX-Evil: 1")]))
            Issue.record("expected the header to be refused")
        } catch {
            #expect(error.code == .invalidRequest)
            #expect(!error.description.contains("Injected-Secret"))
        }
        #expect {
            try client.send(HTTPClientRequest(method: "GET /x HTTP/1.1", url: "http://127.0.0.1:1/"))
        } throws: { error in
            (error as? HTTPClientError)?.code == .invalidRequest
        }
    }

    @Test func responsesLargerThanTheLimitStop() throws {
        let server = try LocalHTTPServer()
        let client = try HTTPClient(options: .init(maxResponseBytes: 1000))
        #expect {
            try client.send(HTTPClientRequest(url: server.baseURL + "/big"))
        } throws: { error in
            (error as? HTTPClientError)?.code == .responseTooLarge
        }
        // The handle recovers for the next request.
        #expect(try client.send(HTTPClientRequest(url: server.baseURL + "/status/204")).status == 204)
    }

    @Test func streamingDeliversChunksInOrder() throws {
        let server = try LocalHTTPServer()
        let client = try HTTPClient()
        var text = ""
        var chunks = 0
        var seenStatus: Int?
        let head = try client.stream(HTTPClientRequest(url: server.baseURL + "/stream?5"),
                                     onResponse: { seenStatus = $0.status; return true }) { chunk in
            chunks += 1
            text += String(decoding: chunk, as: UTF8.self)
            return true
        }
        #expect(head.status == 200)
        #expect(seenStatus == 200)
        #expect(head.header("Content-Type") == "text/event-stream")
        #expect(text == (0..<5).map { "data: \($0)\n\n" }.joined())
        #expect(chunks >= 1)
    }

    @Test func streamingStopsWhenTheChunkHandlerSaysSo() throws {
        let server = try LocalHTTPServer()
        let client = try HTTPClient()
        var received = 0
        let start = ContinuousClock.now
        do {
            // 200 events 50 ms apart: about 10 s if it were not stopped.
            try client.stream(HTTPClientRequest(url: server.baseURL + "/stream?200")) { _ in
                received += 1
                return received < 3
            }
            Issue.record("expected the stream to be aborted")
        } catch {
            #expect(error.code == .aborted)
        }
        #expect(received == 3)
        #expect(ContinuousClock.now - start < .seconds(2))
        // The handle works after an aborted transfer.
        #expect(try client.send(HTTPClientRequest(url: server.baseURL + "/status/200")).status == 200)
    }

    @Test func streamingStopsWhileIdleWhenAskedTo() throws {
        let server = try LocalHTTPServer()
        let client = try HTTPClient()
        let start = ContinuousClock.now
        let stopAt = start + .milliseconds(300)
        do {
            try client.stream(HTTPClientRequest(url: server.baseURL + "/silent-stream", timeout: .seconds(20)),
                              shouldContinue: { ContinuousClock.now < stopAt }) { _ in true }
            Issue.record("expected the stream to be aborted")
        } catch {
            #expect(error.code == .aborted)
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(300))
        #expect(elapsed < .seconds(10), "stopped by shouldContinue, not by the 20 s timeout")
    }

    @Test func streamingCanRefuseAResponseByStatus() throws {
        let server = try LocalHTTPServer()
        let client = try HTTPClient()
        var chunks = 0
        do {
            try client.stream(HTTPClientRequest(url: server.baseURL + "/status/401"),
                              onResponse: { $0.status == 200 }) { _ in
                chunks += 1
                return true
            }
            Issue.record("expected the stream to be aborted")
        } catch {
            #expect(error.code == .aborted)
        }
        #expect(chunks == 0)
    }

    static let milvusHost = ProcessInfo.processInfo.environment["MILVUS_HOST"] ?? "127.0.0.1"
    static let milvusPort = Int(ProcessInfo.processInfo.environment["MILVUS_PORT"] ?? "") ?? 19530

    @Test(.enabled(if: TestSupport.canConnect(host: milvusHost, port: milvusPort),
                   "Milvus is not reachable at MILVUS_HOST:MILVUS_PORT"))
    func milvusRESTListsCollections() throws {
        let client = try HTTPClient(options: .init(connectTimeout: .seconds(1), timeout: .seconds(5)))
        let response = try client.send(HTTPClientRequest(
            url: "http://\(Self.milvusHost):\(Self.milvusPort)/v1/vector/collections",
            headers: [("Accept", "application/json")]))
        #expect(response.status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(json["code"] as? Int == 200)
        #expect(json["data"] is [Any])
    }
}
