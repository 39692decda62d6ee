import Foundation
import TackCore

/// Every bound on an outbound fetch, each with a default an operator can change.
public struct FetchLimits: Sendable, Equatable {
    public var maxBytes: Int64 = 100 * 1024 * 1024
    public var totalTime: Duration = .seconds(300)
    /// Longest wait for the next bytes: a server that drips slower than this is cut off.
    public var stallTime: Duration = .seconds(30)
    public var connectTime: Duration = .seconds(10)
    public var maxRedirects = 5

    public init() {}
}

/// An address that passed the policy, and the host name it stands for (for TLS and the Host header).
public struct PinnedTarget: Sendable, Equatable {
    public var host: String
    public var address: IPAddress
}

/// Decides whether tackd may fetch a URL and, if so, the one address it connects to.
///
/// The address is resolved once, checked, and then used for the connection itself, so a DNS answer that
/// changes between check and connect (rebinding) has nothing to change.
public struct OutboundPolicy: Sendable {
    public var addresses: AddressPolicy
    /// Host names an operator trusts whatever they resolve to.
    public var allowedHosts: Set<String>
    public var allowHTTP: Bool

    public init(addresses: AddressPolicy = AddressPolicy(), allowedHosts: Set<String> = [], allowHTTP: Bool = false) {
        self.addresses = addresses
        self.allowedHosts = allowedHosts
        self.allowHTTP = allowHTTP
    }

    public func target(for url: URL, resolver: any HostResolver) async throws -> PinnedTarget {
        let scheme = url.scheme?.lowercased() ?? ""
        guard scheme == "https" || (scheme == "http" && allowHTTP) else {
            throw Self.refused("scheme", "only https URLs are fetched (got '\(scheme)')")
        }
        guard url.user == nil, url.password == nil else {
            throw Self.refused("credentials", "URLs with a user name or password in them are not fetched")
        }
        guard let rawHost = url.host(percentEncoded: false)?.lowercased(), !rawHost.isEmpty else {
            throw Self.refused("host", "the URL has no host")
        }
        let host = rawHost.hasPrefix("[") ? String(rawHost.dropFirst().dropLast()) : rawHost
        if let literal = IPAddress.parse(host) {
            try check(literal, host: host)
            return PinnedTarget(host: host, address: literal)
        }
        // Names are letters, digits, '-', '_' and dots (internationalised names travel as punycode): anything else
        // could not be resolved anyway, and could not be pinned by the exact spelling the client will look up.
        guard host.utf8.allSatisfy({ Self.hostNameBytes.contains($0) }) else {
            throw Self.refused("host", "'\(host)' is not a valid host name")
        }
        if host == "localhost" || host.hasSuffix(".localhost") {
            throw Self.refused(AddressRefusal.loopback.rawValue, "'\(host)' always means this machine (RFC 6761)")
        }
        let resolved = try await resolver.addresses(of: host)
        guard let first = resolved.first else {
            throw TackError(.unresolvableHost, "the host '\(host)' has no addresses")
        }
        if !allowedHosts.contains(host) {
            // Every answer must pass: a name that mixes a public and a private address is refused outright.
            for address in resolved { try check(address, host: host) }
        }
        return PinnedTarget(host: host, address: first)
    }

    private func check(_ address: IPAddress, host: String) throws {
        if let refusal = addresses.refusal(for: address) {
            throw Self.refused(refusal.rawValue, "'\(host)' is \(address), a \(refusal.rawValue.replacingOccurrences(of: "_", with: " ")) address tackd does not fetch from")
        }
    }

    static func refused(_ rule: String, _ message: String) -> TackError {
        TackError(.refused(rule), message)
    }

    private static let hostNameBytes = Set(Array("abcdefghijklmnopqrstuvwxyz0123456789-_.".utf8))
}
