import Testing
@testable import TackClient

@Suite struct ServerURLTests {
    @Test(arguments: [
        "https://tack.example.com", "https://tack.example.com/", "https://tack.example.com:8443/tack",
        "https://203.0.113.9", "HTTPS://tack.example.com",
        "http://127.0.0.1:8080", "http://127.5.6.7", "http://localhost:8080/", "http://LOCALHOST", "http://[::1]:8080",
        "http://[0:0:0:0:0:0:0:1]",
    ])
    func allowsTheToken(server: String) throws {
        let url = try #require(ServerURL(server))
        #expect(url.allowsToken)
    }

    /// Plain http to anything that is not certainly this machine, in every spelling libcurl might read otherwise.
    @Test(arguments: [
        "http://example.invalid", "http://192.0.2.1:9", "http://10.0.0.1", "http://[::ffff:127.0.0.1]",
        "http://0177.0.0.1", "http://0127.0.0.1", "http://127.1", "http://2130706433", "http://0x7f000001",
        "http://127.0.0.1.", "http://127.0.0.256", "http://localhost.example.com", "http://[fe80::1]",
        "http://128.0.0.1",
    ])
    func refusesTheTokenInClear(server: String) throws {
        let url = try #require(ServerURL(server))
        #expect(!url.allowsToken)
        #expect(throws: ClientError.self) { try ClientConfig.normalized(server) }
    }

    /// Forms two URL parsers may read differently (which host?), and things that are not server URLs at all.
    @Test(arguments: [
        "http://127.0.0.1@example.com", "http://example.com#@127.0.0.1", "http://127.0.0.1\\@example.com",
        "http://example.com?x=@127.0.0.1", "http://127.0.0.1%2f@example.com", "http://127.0.0.1 .example.com",
        "http://user:pass@tack.example.com", "ftp://tack.example.com", "file:///etc/passwd", "tack.example.com",
        "https://", "https://:443", "https://host:", "https://host:99999", "https://host:8x", "http://[::1",
        "http://[nope]", "https://tack.example.com/\n", "https://tack\u{202E}.example.com",
    ])
    func refusesWhatIsNotPlainlyAServer(server: String) {
        #expect(ServerURL(server) == nil)
    }

    @Test func anInsecureServerIsAUsageErrorNotAMissingFile() {
        #expect(throws: ClientError.insecure(
            "refusing to send the token in clear to http://example.invalid; use https:// (plain http only to this "
            + "machine: 127.0.0.1, ::1 or localhost)")) {
            try ClientConfig.normalized("http://example.invalid")
        }
        #expect(throws: ClientError.self) { try ClientConfig(server: "https://a.example", token: "tack_x\r\nX-Evil: 1").checked() }
        #expect(throws: Never.self) { try ClientConfig(server: "https://a.example", token: "tack_abc-DEF_123").checked() }
    }
}
