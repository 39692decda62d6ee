import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
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

    public init(policy: OutboundPolicy, limits: FetchLimits, resolver: any HostResolver) {
        self.policy = policy
        self.limits = limits
        self.resolver = resolver
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
                var request = HTTPClientRequest(url: current.absoluteString)
                request.headers.add(name: "User-Agent", value: "tackd (+link fetcher)")
                request.headers.add(name: "Accept-Encoding", value: "identity")
                for (name, value) in headers { request.headers.add(name: name, value: value) }
                let response = try await Self.translatingErrors { try await client.execute(request, deadline: deadline) }
                let status = Int(response.status.code)
                if [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "location") {
                    guard let next = URL(string: location, relativeTo: current)?.absoluteURL else {
                        throw TackError(.upstreamFailure, code: "upstream_bad_redirect", "the upstream redirected to an invalid URL")
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
                    throw TackError(.tooLarge, code: "too_large", "the linked file is \(length) bytes; the limit is \(limits.maxBytes)")
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

    private func makeClient(pinning target: PinnedTarget) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        // Connect to the address that was checked, never to a second lookup's answer; TLS still verifies the name.
        configuration.dnsOverride = [target.host: target.address.description]
        configuration.timeout = .init(connect: TimeAmount(limits.connectTime), read: TimeAmount(limits.stallTime))
        configuration.decompression = .disabled
        configuration.proxy = nil
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func check(status: Int) throws {
        switch status {
        case 200..<300, 304: return
        case 401, 403: throw TackError(.upstreamFailure, code: "upstream_forbidden", "the link's owner does not let it be downloaded (HTTP \(status))")
        case 404, 410: throw TackError(.upstreamFailure, code: "upstream_gone", "the linked file is gone (HTTP \(status))")
        case 400..<500: throw TackError(.upstreamFailure, code: "upstream_refused", "the upstream refused the download (HTTP \(status))")
        default: throw TackError(.upstreamFailure, code: "upstream_error", "the upstream failed (HTTP \(status))")
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
            throw TackError(.upstreamFailure, code: "upstream_unreachable", "the upstream could not be reached (\(error))")
        }
    }

    static func translate(_ error: HTTPClientError) -> TackError {
        switch error {
        case .readTimeout: TackError(.upstreamTimeout, code: "upstream_stalled", "the upstream stopped sending")
        case .deadlineExceeded: TackError(.upstreamTimeout, code: "upstream_timeout", "the download took longer than allowed")
        case .connectTimeout: TackError(.upstreamTimeout, code: "upstream_timeout", "the upstream did not accept a connection in time")
        case .remoteConnectionClosed, .bodyLengthMismatch:
            TackError(.upstreamFailure, code: "upstream_truncated", "the upstream closed the connection before sending what it announced")
        default: TackError(.upstreamFailure, code: "upstream_unreachable", "the upstream could not be reached (\(error))")
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
                throw TackError(.upstreamFailure, code: "upstream_truncated", "the upstream's body broke off (\(error))")
            }
            guard let chunk else { return nil }
            seen += Int64(chunk.readableBytes)
            if seen > maxBytes {
                throw TackError(.tooLarge, code: "too_large", "the linked file is larger than the limit of \(maxBytes) bytes")
            }
            if NIODeadline.now() > deadline {
                throw TackError(.upstreamTimeout, code: "upstream_timeout", "the download took longer than allowed")
            }
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), maxBytes: maxBytes, deadline: deadline)
    }
}
