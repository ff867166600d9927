import Testing

@testable import RagdConfig

@Suite("FCGI_LISTEN parsing")
struct ListenAddressTests {
    @Test(arguments: [
        ("/run/ragd/ragd.sock", ListenAddress.unix(path: "/run/ragd/ragd.sock")),
        ("unix:/tmp/ragd.sock", .unix(path: "/tmp/ragd.sock")),
        ("unix:relative/ragd.sock", .unix(path: "relative/ragd.sock")),
        ("unix:///var/run/ragd.sock", .unix(path: "/var/run/ragd.sock")),
        ("127.0.0.1:9000", .tcp(host: "127.0.0.1", port: 9000)),
        ("127.1.2.3:9000", .tcp(host: "127.1.2.3", port: 9000)),
        ("[::1]:9000", .tcp(host: "::1", port: 9000)),
        ("[0:0:0:0:0:0:0:1]:9000", .tcp(host: "0:0:0:0:0:0:0:1", port: 9000)),
        ("localhost:9000", .tcp(host: "localhost", port: 9000)),
        ("LocalHost:65535", .tcp(host: "LocalHost", port: 65535)),
    ])
    func accepted(text: String, address: ListenAddress) throws {
        #expect(try ListenAddress.parse(text).get() == address)
    }

    @Test(arguments: [
        ("0.0.0.0:9000", true),
        ("10.0.0.1:9000", true),
        ("[::]:9000", true),
        ("[2001:db8::1]:9000", true),
        ("example.com:9000", true),
        ("128.0.0.1:9000", true),
        ("127.0.0.1:0", false),
        ("127.0.0.1:70000", false),
        ("127.0.0.1:http", false),
        (":9000", false),
        ("::1:9000", false),
        ("[::1]9000", false),
        ("ragd.sock", false),
        ("unix:", false),
        ("unix:/" + String(repeating: "x", count: 120), false),
    ])
    func rejected(text: String, notAllowed: Bool) {
        guard case .failure(let error) = ListenAddress.parse(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(error.notAllowed == notAllowed, "\(error)")
    }

    @Test func nonLoopbackIsReportedAsNotAllowedWithTheRule() {
        for text in ["0.0.0.0:9000", "10.0.0.1:9000"] {
            let problems = Fixture.problems(Fixture.environment(["FCGI_LISTEN": text]))
            #expect(problems.count == 1)
            #expect(problems.first?.code == .notAllowed)
            #expect(problems.first?.description.hasPrefix("FCGI_LISTEN: host ") == true)
            #expect(problems.first?.description.contains("expected 127.0.0.0/8, ::1 or localhost") == true)
        }
    }

    @Test func descriptionRoundTrips() throws {
        for text in ["/run/ragd/ragd.sock", "127.0.0.1:9000", "[::1]:9000", "localhost:1"] {
            let address = try ListenAddress.parse(text).get()
            #expect(address.description == text)
            #expect(try ListenAddress.parse(address.description).get() == address)
        }
    }
}
