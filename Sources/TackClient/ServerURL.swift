import Foundation

/// A server URL as tack accepts it: `http` or `https`, a host, an optional port and path, nothing else.
public struct ServerURL: Sendable, Equatable {
    /// `http` or `https`, lowercased.
    public var scheme: String
    /// The host as written, without the brackets of an IPv6 address.
    public var host: String

    /// Nil for anything else, including forms where libcurl and Foundation might see different hosts.
    public init?(_ text: String) {
        guard let separator = text.range(of: "://") else { return nil }
        scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = text[separator.upperBound...]
        guard rest.unicodeScalars.allSatisfy({ scalar in
            scalar.value > 0x20 && scalar.value != 0x7F && !"@\\?#%\"<>^`{|}".unicodeScalars.contains(scalar)
                && !DownloadName.isUnsafe(scalar) && !scalar.properties.isWhitespace
        }) else { return nil }
        let authority = rest.prefix { $0 != "/" }
        var port: Substring = ""
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return nil }
            port = after.dropFirst()
            var address = in6_addr()
            guard inet_pton(AF_INET6, host, &address) == 1 else { return nil }
        } else {
            host = String(authority.prefix { $0 != ":" })
            port = authority.dropFirst(host.count).dropFirst()
            guard !host.isEmpty, !host.contains("["), !host.contains("]") else { return nil }
        }
        guard !authority.hasSuffix(":") else { return nil }
        if !port.isEmpty {
            guard port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber), port.count <= 5, let number = Int(port),
                  (1...65535).contains(number) else { return nil }
        }
    }

    /// Whether a token may travel to this server: over TLS anywhere, in clear only to this machine.
    public var allowsToken: Bool { scheme == "https" || isLoopback }

    /// `localhost`, `::1`, or 127.0.0.0/8 in plain dotted decimal (no leading zeros: libcurl reads `0177` as octal).
    public var isLoopback: Bool {
        let name = host.lowercased()
        if name == "localhost" { return true }
        if host.contains(":") {
            var address = in6_addr(), loopback = in6_addr()
            guard inet_pton(AF_INET6, host, &address) == 1, inet_pton(AF_INET6, "::1", &loopback) == 1 else { return false }
            return withUnsafeBytes(of: &address) { a in withUnsafeBytes(of: &loopback) { b in a.elementsEqual(b) } }
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy { ("0"..."9").contains($0) }
                && (part == "0" || !part.hasPrefix("0")) && Int(part)! <= 255
        }) else { return false }
        return parts[0] == "127"
    }
}
