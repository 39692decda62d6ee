/// Why an address may not be fetched; the code names the rule, so a refusal says exactly what was hit.
public enum AddressRefusal: String, Sendable, Equatable, CaseIterable {
    case loopback
    case privateNetwork = "private_network"
    case linkLocal = "link_local"
    case sharedAddressSpace = "cgnat"
    case multicast
    case unspecified
    case documentation
    case reserved
    case broadcast
}

/// A block of addresses, as an operator writes it: `127.0.0.0/8`, `::1/128`, or one address.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    public let base: IPAddress
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let base = IPAddress.parse(String(first)) else { return nil }
        let width: Int
        switch base {
        case .v4: width = 32
        case .v6: width = 128
        }
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...width).contains(prefix) else { return nil }
            self.prefix = prefix
        } else {
            prefix = width
        }
        self.base = base
    }

    public func contains(_ address: IPAddress) -> Bool {
        switch (base, address) {
        case (.v4(let b), .v4(let a)):
            guard prefix > 0 else { return true }
            let mask = UInt32.max << UInt32(32 - prefix)
            return a & mask == b & mask
        case (.v6(let b), .v6(let a)):
            return Self.matches(a, b, prefix)
        default:
            return false
        }
    }

    static func matches(_ a: [UInt8], _ b: [UInt8], _ prefix: Int) -> Bool {
        var remaining = prefix
        for index in 0..<16 where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if a[index] & mask != b[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(base)/\(prefix)" }
}

/// Which resolved addresses tackd may connect to when it fetches a URL for a user.
///
/// Public unicast only, unless the operator allows a range. Addresses that embed an IPv4 address
/// (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by the address they embed, since that is where the
/// packets end up.
public struct AddressPolicy: Sendable {
    public var allowed: [AddressRange]

    public init(allowed: [AddressRange] = []) { self.allowed = allowed }

    /// nil when the address may be fetched.
    public func refusal(for address: IPAddress) -> AddressRefusal? {
        if allowed.contains(where: { $0.contains(address) }) { return nil }
        switch address {
        case .v4(let value): return Self.refusal(v4: value)
        case .v6(let bytes): return refusal(v6: bytes)
        }
    }

    static let v4Rules: [(AddressRange, AddressRefusal)] = rules([
        ("0.0.0.0/8", .unspecified), ("10.0.0.0/8", .privateNetwork), ("100.64.0.0/10", .sharedAddressSpace),
        ("127.0.0.0/8", .loopback), ("169.254.0.0/16", .linkLocal), ("172.16.0.0/12", .privateNetwork),
        ("192.0.0.0/24", .reserved), ("192.0.2.0/24", .documentation), ("192.88.99.0/24", .reserved),
        ("192.168.0.0/16", .privateNetwork), ("198.18.0.0/15", .reserved), ("198.51.100.0/24", .documentation),
        ("203.0.113.0/24", .documentation), ("224.0.0.0/4", .multicast), ("255.255.255.255/32", .broadcast),
        ("240.0.0.0/4", .reserved),
    ])

    static func refusal(v4 value: UInt32) -> AddressRefusal? {
        v4Rules.first { $0.0.contains(.v4(value)) }?.1
    }

    static let v6Rules: [(AddressRange, AddressRefusal)] = rules([
        ("::1/128", .loopback), ("::/128", .unspecified), ("64:ff9b:1::/48", .privateNetwork),
        ("100::/64", .reserved), ("2001::/32", .reserved), ("2001:2::/48", .reserved), ("2001:10::/28", .reserved),
        ("2001:20::/28", .reserved), ("2001:db8::/32", .documentation), ("3fff::/20", .documentation),
        ("fc00::/7", .privateNetwork), ("fe80::/10", .linkLocal), ("fec0::/10", .privateNetwork), ("ff00::/8", .multicast),
    ])

    private static func rules(_ table: [(String, AddressRefusal)]) -> [(AddressRange, AddressRefusal)] {
        table.map { (AddressRange($0.0)!, $0.1) }
    }

    func refusal(v6 bytes: [UInt8]) -> AddressRefusal? {
        if let embedded = Self.embeddedV4(bytes) {
            return refusal(for: .v4(embedded))
        }
        if let rule = Self.v6Rules.first(where: { $0.0.contains(.v6(bytes)) }) { return rule.1 }
        // Only 2000::/3 is global unicast today; everything else is unassigned or special.
        return bytes[0] & 0xe0 == 0x20 ? nil : .reserved
    }

    /// The IPv4 address packets to this IPv6 address reach, for the forms that embed one.
    static func embeddedV4(_ b: [UInt8]) -> UInt32? {
        func v4(at offset: Int) -> UInt32 {
            UInt32(b[offset]) << 24 | UInt32(b[offset + 1]) << 16 | UInt32(b[offset + 2]) << 8 | UInt32(b[offset + 3])
        }
        let zeros10 = b[0..<10].allSatisfy { $0 == 0 }
        if zeros10, b[10] == 0xff, b[11] == 0xff { return v4(at: 12) }                 // ::ffff:a.b.c.d mapped
        if zeros10, b[10] == 0, b[11] == 0, v4(at: 12) > 1 { return v4(at: 12) }       // ::a.b.c.d compatible
        if b[0..<12].elementsEqual([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]) { return v4(at: 12) } // NAT64
        if b[0] == 0x20, b[1] == 0x02 { return v4(at: 2) }                                // 6to4
        return nil
    }
}
