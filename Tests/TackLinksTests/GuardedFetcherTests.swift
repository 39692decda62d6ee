import Foundation
import NIOCore
import Testing
import TackCore
import TackTestSupport
@testable import TackLinks

/// The fetcher against real servers on loopback. Names resolve through a table the test controls, so no
/// query or connection ever leaves the machine, not even for addresses a test expects to be refused.
@Suite struct GuardedFetcherTests {
    /// Fetches over http from hosts named in `names` (all 127.0.0.1 unless given), allowing only `allowed`.
    func fetcher(allowed: [String] = ["127.0.0.1/32"], names: [String: [IPAddress]] = [:],
                 configure: (inout FetchLimits) -> Void = { _ in }) -> GuardedFetcher {
        var limits = FetchLimits()
        limits.maxBytes = 1 << 20
        configure(&limits)
        var table: [String: [IPAddress]] = ["files.test": [.v4(0x7f00_0001)]]
        table.merge(names) { $1 }
        return GuardedFetcher(
            policy: OutboundPolicy(addresses: AddressPolicy(allowed: allowed.compactMap(AddressRange.init)), allowHTTP: true),
            limits: limits, resolver: OverridingResolver(overrides: table, fallback: nil))
    }

    func collect(_ fetcher: GuardedFetcher, _ url: String) async throws -> (FetchedHead, [UInt8]) {
        try await fetcher.fetch(URL(string: url)!) { head, body in
            var bytes: [UInt8] = []
            for try await chunk in body { bytes += chunk.readableBytesView }
            return (head, bytes)
        }
    }

    func code(of body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as TackError {
            return error.code
        } catch {
            return "\(error)"
        }
    }

    @Test func fetchesThroughRedirects() async throws {
        let upstream = try await FakeUpstream.start()
        let (head, bytes) = try await collect(fetcher(), "http://files.test:\(upstream.port)/redirect/3")
        #expect(head.status == 200)
        #expect(bytes == FakeUpstream.file)
        #expect(head.url.path == "/file/chain.bin")
        #expect(head.headers.first(name: "content-disposition") == "attachment; filename=\"chain.bin\"")
        let tooMany = await code { _ = try await collect(fetcher(), "http://files.test:\(upstream.port)/redirect/5") }
        #expect(tooMany == "refused_redirects")
    }

    /// `link_ca_file` must hold PEM certificates; anything else stops tackd at start with the setting named.
    @Test func aCAFileThatIsNotPEMIsASettingError() throws {
        var settings = LinkSettings()
        settings.caFile = "/etc/hostname"
        #expect(throws: TackError.self) { try GuardedFetcher(settings: settings) }
        do {
            _ = try GuardedFetcher(settings: settings)
        } catch {
            #expect(error.code == "invalid_setting" && error.message.contains("link_ca_file"), "\(error)")
        }
        settings.caFile = "/nonexistent/ca.pem"
        #expect(throws: TackError.self) { try GuardedFetcher(settings: settings) }
    }

    @Test func refusesLoopbackInEverySpellingWithoutConnecting() async throws {
        let listener = try RawListener()
        let strict = fetcher(allowed: [], names: ["sneaky.test": [.v4(0x7f00_0001)]])
        let hosts = ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "[::1]", "[::ffff:127.0.0.1]",
                     "0.0.0.0", "localhost", "api.localhost", "sneaky.test"]
        for host in hosts {
            let refusal = await code { _ = try await collect(strict, "http://\(host):\(listener.port)/x") }
            // 0.0.0.0 reaches this machine on Linux, and is refused as what it is; every other spelling is loopback.
            #expect(refusal == (host == "0.0.0.0" ? "refused_unspecified" : "refused_loopback"), "\(host): \(refusal ?? "fetched")")
        }
        #expect(listener.connections == 0)
    }

    @Test func refusesARedirectToARefusedAddress() async throws {
        let upstream = try await FakeUpstream.start()
        // Only 127.0.0.1 is allowed; the upstream redirects to a listener on 127.0.0.2.
        let elsewhere = try RawListener(address: "127.0.0.2")
        let refusal = await code {
            _ = try await collect(fetcher(), "http://files.test:\(upstream.port)/to/127.0.0.2/\(elsewhere.port)")
        }
        #expect(refusal == "refused_loopback")
        #expect(elsewhere.connections == 0)
    }

    @Test func refusesNamesWithAnyPrivateAnswer() async throws {
        let listener = try RawListener()
        let mixed = fetcher(allowed: [], names: ["mixed.test": [.v4(0x0808_0808), .v4(0x0a00_0001)]])
        #expect(await code { _ = try await collect(mixed, "http://mixed.test:\(listener.port)/") } == "refused_private_network")
        #expect(listener.connections == 0)
    }

    @Test func capsSizeStallsAndLies() async throws {
        let upstream = try await FakeUpstream.start()
        let base = "http://files.test:\(upstream.port)"
        #expect(await code { _ = try await collect(fetcher(), "\(base)/big") } == "too_large")
        #expect(await code { _ = try await collect(fetcher(), "\(base)/big-chunked") } == "too_large")
        let impatient = fetcher { $0.stallTime = .seconds(1) }
        #expect(await code { _ = try await collect(impatient, "\(base)/drip") } == "upstream_stalled")
        let hurried = fetcher { $0.totalTime = .seconds(1) }
        #expect(await code { _ = try await collect(hurried, "\(base)/trickle") } == "upstream_timeout",
                "a steady trickle never stalls, but the total time still ends it")
        let liar = try RawListener(reply: Array("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b".utf8))
        let lie = await code { _ = try await collect(fetcher(), "http://files.test:\(liar.port)/") }
        #expect(lie == "upstream_truncated", "\(lie ?? "fetched")")
    }

    @Test func saysWhatTheUpstreamDid() async throws {
        let upstream = try await FakeUpstream.start()
        let base = "http://files.test:\(upstream.port)"
        #expect(await code { _ = try await collect(fetcher(), "\(base)/gone") } == "upstream_gone")
        #expect(await code { _ = try await collect(fetcher(), "\(base)/forbidden") } == "upstream_forbidden")
        let httpsOnly = GuardedFetcher(policy: OutboundPolicy(), limits: FetchLimits(),
                                       resolver: OverridingResolver(overrides: [:], fallback: nil))
        #expect(await code { _ = try await collect(httpsOnly, "\(base)/file/a.bin") } == "refused_scheme")
        #expect(await code { _ = try await collect(fetcher(), "http://u:p@files.test:\(upstream.port)/") } == "refused_credentials")
    }

    @Test func pinsTheHostExactlyAsTheClientLooksItUp() async throws {
        // The override is keyed by the lower-cased host the policy checked; the request must use that spelling, or
        // AsyncHTTPClient misses the override and resolves the name again (DNS rebinding).
        let target = PinnedTarget(host: "rebind.example", address: .v4(0x7f00_0001))
        for raw in ["https://REBIND.example/a?b=C", "https://Rebind.Example:8443/x/Y", "HTTPS://rebind.EXAMPLE"] {
            let pinned = try GuardedFetcher.pinnedURL(URL(string: raw)!, to: target)
            #expect(URLComponents(string: pinned)?.host == "rebind.example", "\(raw) -> \(pinned)")
        }
        #expect(try GuardedFetcher.pinnedURL(URL(string: "https://REBIND.example/a?b=C")!, to: target)
                == "https://rebind.example/a?b=C", "path and query keep their case")
        // End to end: only the test's resolver knows FILES.test, so this succeeds only through the pinned address.
        let upstream = try await FakeUpstream.start()
        let (head, bytes) = try await collect(fetcher(), "http://FILES.Test:\(upstream.port)/redirect/1")
        #expect(head.status == 200)
        #expect(bytes == FakeUpstream.file)
    }

    @Test func refusesHostNamesThatCannotBePinned() async throws {
        let listener = try RawListener()
        for host in ["files.test%2f", "fi%20les.test"] {
            #expect(await code { _ = try await collect(fetcher(), "http://\(host):\(listener.port)/") } == "refused_host", "\(host)")
        }
        #expect(listener.connections == 0)
    }

    @Test func keepsConnectionDetailsOutOfTheAnswer() async throws {
        // A refusing port on loopback: the member learns that the upstream could not be reached, not why.
        let refusing = try RefusingPort()
        let port = refusing.port
        defer { _ = refusing }
        do {
            _ = try await collect(fetcher(), "http://files.test:\(port)/")
            Issue.record("fetched from a closed port")
        } catch let error as TackError {
            #expect(error.code == "upstream_unreachable")
            #expect(error.message == "the upstream could not be reached")
        }
    }
}
