#if canImport(Glibc)
import Glibc
#endif
import NIOPosix
import TackCore

/// Turns a host name into the addresses to check and connect to. Injected, so tests decide every answer and
/// never send a query off the machine.
public protocol HostResolver: Sendable {
    func addresses(of host: String) async throws -> [IPAddress]
}

/// The system's resolver (`getaddrinfo`), run on a thread pool because it blocks.
public struct SystemResolver: HostResolver {
    public init() {}

    public func addresses(of host: String) async throws -> [IPAddress] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_family = AF_UNSPEC
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0 else {
                // No such name is the link's fault; anything else (a DNS server failing) is not.
                if status == EAI_NONAME || status == -5 /* EAI_NODATA, a GNU extension Swift does not import */ {
                    throw TackError(.unresolvableHost, "the host '\(host)' does not exist")
                }
                throw TackError(.upstreamUnreachable, "the host '\(host)' could not be resolved just now; try again later")
            }
            defer { freeaddrinfo(list) }
            var found: [IPAddress] = []
            var cursor = list
            while let entry = cursor {
                if let address = entry.pointee.ai_addr {
                    switch Int32(address.pointee.sa_family) {
                    case AF_INET:
                        address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                            found.append(.v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)))
                        }
                    case AF_INET6:
                        address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                            found.append(.v6(withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }))
                        }
                    default:
                        break
                    }
                }
                cursor = entry.pointee.ai_next
            }
            return found
        }
    }
}

/// Fixed answers for some names (an operator's `resolve` setting, or a test), everything else from `fallback`.
public struct OverridingResolver: HostResolver {
    public var overrides: [String: [IPAddress]]
    public var fallback: (any HostResolver)?

    public init(overrides: [String: [IPAddress]], fallback: (any HostResolver)?) {
        self.overrides = overrides
        self.fallback = fallback
    }

    public func addresses(of host: String) async throws -> [IPAddress] {
        if let fixed = overrides[host.lowercased()] { return fixed }
        guard let fallback else {
            throw TackError(.unresolvableHost, "the host '\(host)' could not be resolved")
        }
        return try await fallback.addresses(of: host)
    }
}
