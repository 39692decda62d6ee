/// An IPv4 or IPv6 address, parsed from a URL host in every spelling a resolver or browser would accept.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6([UInt8])

    /// Parses an IP literal; nil for anything that is a host name.
    ///
    /// IPv4 follows `inet_aton`: one to four parts, each decimal, octal (leading 0) or hex (0x), so `127.1`,
    /// `2130706433`, `0x7f000001` and `0177.0.0.1` are all loopback. Accepting them all is the point: a check that
    /// understands fewer spellings than the connecting code is a check that can be walked around.
    public static func parse(_ host: String) -> IPAddress? {
        var text = Substring(host)
        if text.hasPrefix("["), text.hasSuffix("]") {
            return parseV6(text.dropFirst().dropLast()).map { .v6($0) }
        }
        if text.contains(":") { return parseV6(text).map { .v6($0) } }
        if text.hasSuffix(".") { text = text.dropLast() }
        return parseV4(text).map { .v4($0) }
    }

    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            guard let value = number(part) else { return nil }
            values.append(value)
        }
        let lastBits = 8 * (5 - values.count) // 32, 24, 16, 8
        var result: UInt64 = 0
        for value in values.dropLast() {
            guard value <= 255 else { return nil }
            result = result << 8 | value
        }
        guard let last = values.last, last < (UInt64(1) << UInt64(lastBits)) else { return nil }
        result = result << UInt64(lastBits) | last
        return UInt32(truncatingIfNeeded: result)
    }

    private static func number(_ part: Substring) -> UInt64? {
        guard !part.isEmpty, part.count <= 40 else { return nil }
        let lower = part.lowercased()
        if lower.hasPrefix("0x") {
            let digits = lower.dropFirst(2)
            return digits.isEmpty ? 0 : UInt64(digits, radix: 16)
        }
        if lower.count > 1, lower.hasPrefix("0") { return UInt64(lower.dropFirst(), radix: 8) }
        guard lower.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(lower)
    }

    static func parseV6(_ text: Substring) -> [UInt8]? {
        guard !text.contains("%") else { return nil } // zone ids name an interface: never a public destination
        var head: [UInt16] = [], tail: [UInt16] = []
        var sawGap = false
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String, allowV4: Bool) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let pieces = s.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if allowV4, index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = strictV4(piece) else { return nil }
                    out += [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                } else {
                    guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                    out.append(value)
                }
            }
            return out
        }
        if halves.count == 2 {
            sawGap = true
            guard let h = groups(halves[0], allowV4: false), let t = groups(halves[1], allowV4: true) else { return nil }
            head = h
            tail = t
        } else {
            guard let h = groups(halves[0], allowV4: true) else { return nil }
            head = h
        }
        let total = head.count + tail.count
        guard sawGap ? total <= 7 : total == 8 else { return nil }
        let words = head + [UInt16](repeating: 0, count: 8 - total) + tail
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    /// Dotted quad only, as IPv6 embeds it.
    private static func strictV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt32(part), value <= 255 else { return nil }
            result = result << 8 | value
        }
        return result
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)"
        case .v6(let bytes):
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        }
    }
}
