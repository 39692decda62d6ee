/// What to send for a `Range` request header against a representation of a given size (RFC 9110 §14).
public enum RangeDecision: Sendable, Equatable {
    /// Send the whole representation (no header, a syntactically invalid one, or several ranges, which a server may ignore).
    case full
    /// Send exactly these bytes with 206.
    case partial(ClosedRange<Int64>)
    /// Answer 416 with `Content-Range: bytes */size`.
    case unsatisfiable
}

/// Parses and evaluates byte-range requests.
public enum ByteRange {
    public static func decide(header: String?, size: Int64) -> RangeDecision {
        guard let header else { return .full }
        guard let specs = parse(header) else { return .full }
        // An empty representation has no bytes to address; a suffix range on it is satisfiable (RFC 9110 §14.1.1)
        // but cannot be written as a Content-Range, so the whole (empty) body is the answer.
        if size == 0, specs.contains(where: { if case .suffix(let n) = $0 { n > 0 } else { false } }) { return .full }
        var satisfiable: [ClosedRange<Int64>] = []
        for spec in specs {
            if let range = spec.resolve(size: size) { satisfiable.append(range) }
        }
        switch satisfiable.count {
        case 0: return .unsatisfiable
        case 1: return .partial(satisfiable[0])
        default: return .full
        }
    }

    enum Spec: Equatable {
        case from(Int64, through: Int64?)
        case suffix(Int64)

        func resolve(size: Int64) -> ClosedRange<Int64>? {
            switch self {
            case .from(let first, let last):
                guard first < size else { return nil }
                let end = min(last ?? (size - 1), size - 1)
                return first...end
            case .suffix(let length):
                guard length > 0, size > 0 else { return nil }
                return max(0, size - length)...(size - 1)
            }
        }
    }

    /// Nil when the header is not a valid `bytes` range set; such a header is ignored, per RFC 9110 §14.2.
    static func parse(_ header: String) -> [Spec]? {
        let trimmed = header.trimmingWhitespace()
        guard let equals = trimmed.firstIndex(of: "="),
              trimmed[..<equals].trimmingWhitespace().lowercased() == "bytes"
        else { return nil }
        var specs: [Spec] = []
        for element in trimmed[trimmed.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false) {
            let part = element.trimmingWhitespace()
            if part.isEmpty { continue } // RFC 9110 list syntax tolerates empty elements
            guard let dash = part.firstIndex(of: "-") else { return nil }
            let firstText = part[..<dash]
            let lastText = part[part.index(after: dash)...]
            if firstText.isEmpty {
                guard let length = digits(lastText) else { return nil }
                specs.append(.suffix(length))
            } else {
                guard let first = digits(firstText) else { return nil }
                if lastText.isEmpty {
                    specs.append(.from(first, through: nil))
                } else {
                    guard let last = digits(lastText), last >= first else { return nil }
                    specs.append(.from(first, through: last))
                }
            }
        }
        return specs.isEmpty ? nil : specs
    }

    /// Only ASCII digits; an overflowing number saturates, which is what a huge position means anyway.
    private static func digits(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(text) ?? Int64.max
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> SubSequence {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return slice
    }
}
