import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import TackCore

/// What an upstream answered, after redirects.
public struct FetchedHead: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// The URL that finally answered.
    public var url: URL
    public var contentLength: Int64? { headers.first(name: "content-length").flatMap { Int64($0) } }
}

/// The one way tackd fetches a URL for a user: every hop's address checked and pinned, redirects re-checked
/// (at most `maxRedirects`), and size, stall and total time capped.
public struct GuardedFetcher: Sendable {
    public var policy: OutboundPolicy
    public var limits: FetchLimits
    public var resolver: any HostResolver
    /// Certificates trusted besides the system's roots (`link_ca_file`).
    public var trusted: [NIOSSLCertificate]

    public init(policy: OutboundPolicy, limits: FetchLimits, resolver: any HostResolver, trusted: [NIOSSLCertificate] = []) {
        self.policy = policy
        self.limits = limits
        self.resolver = resolver
        self.trusted = trusted
    }

    /// Fetches `url` and hands the final response to `consume`, whose body sequence is valid only inside it.
    /// Answers other than 2xx and 304 become errors that say what the upstream did.
    public func fetch<T: Sendable>(
        _ url: URL, headers: [(String, String)] = [],
        consume: (FetchedHead, CappedBody) async throws -> T
    ) async throws -> T {
        let deadline = NIODeadline.now() + TimeAmount(limits.totalTime)
        var current = url
        var hops = 0
        while true {
            let target = try await policy.target(for: current, resolver: resolver)
            let client = makeClient(pinning: target)
            do {
                var request = HTTPClientRequest(url: try Self.pinnedURL(current, to: target))
                request.headers.add(name: "User-Agent", value: "tackd (+link fetcher)")
                request.headers.add(name: "Accept-Encoding", value: "identity")
                for (name, value) in headers { request.headers.add(name: name, value: value) }
                let response = try await Self.translatingErrors { try await client.execute(request, deadline: deadline) }
                let status = Int(response.status.code)
                if [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "location") {
                    guard let next = URL(string: location, relativeTo: current)?.absoluteURL else {
                        throw TackError(.upstreamBadRedirect, "the upstream redirected to an invalid URL")
                    }
                    hops += 1
                    guard hops <= limits.maxRedirects else {
                        throw OutboundPolicy.refused("redirects", "more than \(limits.maxRedirects) redirects")
                    }
                    try await client.shutdown()
                    current = next
                    continue
                }
                try Self.check(status: status)
                let head = FetchedHead(status: status, headers: response.headers, url: current)
                if let length = head.contentLength, length > limits.maxBytes {
                    throw TackError(.tooLarge, "the linked file is \(length) bytes; the limit is \(limits.maxBytes)")
                }
                let body = CappedBody(base: response.body, maxBytes: limits.maxBytes, deadline: deadline)
                let result = try await consume(head, body)
                try await client.shutdown()
                return result
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    /// `url` spelled with exactly the host the DNS override is keyed by. AsyncHTTPClient looks its override up by
    /// the host as written, so `https://REBIND.example/` with an override for `rebind.example` would miss it and
    /// resolve the name again, reaching whatever a second DNS answer says. The checked host is the lower-cased one.
    static func pinnedURL(_ url: URL, to target: PinnedTarget) throws -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else {
            throw TackError.invalid(.invalidURL, "the URL cannot be parsed")
        }
        components.scheme = components.scheme?.lowercased()
        if IPAddress.parse(target.host) == nil {
            components.percentEncodedHost = target.host
        }
        guard let string = components.string else { throw TackError.invalid(.invalidURL, "the URL cannot be rebuilt") }
        return string
    }

    private func makeClient(pinning target: PinnedTarget) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        // Connect to the address that was checked, never to a second lookup's answer; TLS still verifies the name.
        configuration.dnsOverride = [target.host: target.address.description]
        configuration.timeout = .init(connect: TimeAmount(limits.connectTime), read: TimeAmount(limits.stallTime))
        configuration.decompression = .disabled
        configuration.proxy = nil
        // A refused connection or a certificate that does not check out is the answer, at once: retried, it held the
        // member's request until the connect timeout (10 s) for the same failure.
        configuration.connectionPool.retryConnectionEstablishment = false
        if !trusted.isEmpty {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.certificates(trusted)]
            configuration.tlsConfiguration = tls
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func check(status: Int) throws {
        switch status {
        case 200..<300, 304: return
        case 401, 403: throw TackError(.upstreamForbidden, "the link's owner does not let it be downloaded (HTTP \(status))")
        case 404, 410: throw TackError(.upstreamGone, "the linked file is gone (HTTP \(status))")
        case 400..<500: throw TackError(.upstreamRefused, "the upstream refused the download (HTTP \(status))")
        default: throw TackError(.upstreamError, "the upstream failed (HTTP \(status))")
        }
    }

    static func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as HTTPClientError {
            throw translate(error)
        } catch let error as TackError {
            throw error
        } catch {
            throw TackError(.upstreamUnreachable, "the upstream could not be reached")
        }
    }

    static func translate(_ error: HTTPClientError) -> TackError {
        switch error {
        case .readTimeout: TackError(.upstreamStalled, "the upstream stopped sending")
        case .deadlineExceeded: TackError(.upstreamTimeout, "the download took longer than allowed")
        case .connectTimeout: TackError(.upstreamTimeout, "the upstream did not accept a connection in time")
        case .remoteConnectionClosed, .bodyLengthMismatch:
            TackError(.upstreamTruncated, "the upstream closed the connection before sending what it announced")
        // What went wrong on the connection (refused, reset, a TLS failure) stays out of the answer: telling a
        // member which internal ports are open or speak TLS would make tackd a port scanner.
        default: TackError(.upstreamUnreachable, "the upstream could not be reached")
        }
    }
}

/// An upstream body that stops with `too_large` past the cap and `upstream_timeout` past the deadline.
public struct CappedBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let base: HTTPClientResponse.Body
    let maxBytes: Int64
    let deadline: NIODeadline

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPClientResponse.Body.AsyncIterator
        let maxBytes: Int64
        let deadline: NIODeadline
        var seen: Int64 = 0

        public mutating func next() async throws -> ByteBuffer? {
            let chunk: ByteBuffer?
            do {
                chunk = try await base.next()
            } catch let error as HTTPClientError {
                throw GuardedFetcher.translate(error)
            } catch {
                // The connection broke mid-body (a parser error on a short body, a reset): what arrived is incomplete.
                throw TackError(.upstreamTruncated, "the upstream's body broke off (\(error))")
            }
            guard let chunk else { return nil }
            seen += Int64(chunk.readableBytes)
            if seen > maxBytes {
                throw TackError(.tooLarge, "the linked file is larger than the limit of \(maxBytes) bytes")
            }
            if NIODeadline.now() > deadline {
                throw TackError(.upstreamTimeout, "the download took longer than allowed")
            }
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), maxBytes: maxBytes, deadline: deadline)
    }
}
