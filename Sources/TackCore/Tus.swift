import Foundation

/// The tus 1.0.0 resumable-upload protocol's header grammar (tus.io/protocols/resumable-upload), free of I/O.
public enum Tus {
    public static let version = "1.0.0"
    public static let extensions = [
        "creation", "creation-with-upload", "creation-defer-length", "termination", "checksum", "expiration",
    ]
    /// The `Content-Type` every PATCH (and a creation that carries bytes) must have.
    public static let chunkContentType = "application/offset+octet-stream"

    /// Refuses a request that does not speak this version (`Tus-Resumable`), with the status tus calls for (412).
    public static func checkResumable(_ header: String?) throws(TackError) {
        guard header == version else {
            throw TackError(.tusVersion, "send Tus-Resumable: \(version); it is the only tus version tackd speaks")
        }
    }

    /// A non-negative byte count from `Upload-Length` or `Upload-Offset`: digits only, no sign, no spaces.
    public static func byteCount(_ header: String?, name: String) throws(TackError) -> Int64? {
        guard let header else { return nil }
        guard !header.isEmpty, header.utf8.count <= 19, header.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int64(header)
        else { throw .invalid(.invalidTusHeader, "\(name) must be a whole number of bytes, not '\(header)'") }
        return value
    }
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent), keys unique. Values are
/// bytes, as the protocol allows; `text(_:)` reads one that must be UTF-8.
public struct TusMetadata: Sendable, Equatable {
    public var values: [String: [UInt8]]

    public init(values: [String: [UInt8]] = [:]) { self.values = values }

    public static func parse(_ header: String?) throws(TackError) -> TusMetadata {
        guard let header, !header.isEmpty else { return TusMetadata() }
        var values: [String: [UInt8]] = [:]
        for pair in header.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: false)
            guard let key = parts.first, !key.isEmpty, parts.count <= 2,
                  key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x2C })
            else { throw .invalid(.invalidTusHeader, "Upload-Metadata is 'key base64,key base64…'; '\(pair)' is not") }
            guard values[String(key)] == nil else {
                throw .invalid(.invalidTusHeader, "Upload-Metadata names '\(key)' twice")
            }
            var value: [UInt8] = []
            if parts.count == 2 {
                guard let data = Data(base64Encoded: String(parts[1])) else {
                    throw .invalid(.invalidTusHeader, "Upload-Metadata's value for '\(key)' is not base64")
                }
                value = Array(data)
            }
            values[String(key)] = value
        }
        return TusMetadata(values: values)
    }

    /// The value of `key` as text; nil when absent, refused when it is not UTF-8.
    public func text(_ key: String) throws(TackError) -> String? {
        guard let bytes = values[key] else { return nil }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalid(.invalidTusHeader, "Upload-Metadata's \(key) must be UTF-8 text")
        }
        return text
    }
}

/// `Upload-Checksum: <algorithm> <base64 digest>` of one PATCH's bytes (the checksum extension).
public struct TusChecksum: Sendable, Equatable {
    /// The algorithms tackd checks: sha1, which tus requires every server to offer, and sha256.
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1
        case sha256

        public var digestLength: Int { self == .sha1 ? 20 : 32 }
    }

    public var algorithm: Algorithm
    public var digest: [UInt8]

    public static var advertised: String { Algorithm.allCases.map(\.rawValue).joined(separator: ",") }

    public static func parse(_ header: String?) throws(TackError) -> TusChecksum? {
        guard let header else { return nil }
        let parts = header.split(separator: " ")
        guard parts.count == 2 else {
            throw .invalid(.invalidTusHeader, "Upload-Checksum is '<algorithm> <base64 digest>', not '\(header)'")
        }
        guard let algorithm = Algorithm(rawValue: String(parts[0]).lowercased()) else {
            throw .invalid(.unsupportedChecksum, "Upload-Checksum's algorithm is one of \(advertised), not '\(parts[0])'")
        }
        guard let data = Data(base64Encoded: String(parts[1])), data.count == algorithm.digestLength else {
            throw .invalid(.invalidTusHeader, "Upload-Checksum's digest is not a base64 \(algorithm.rawValue) digest")
        }
        return TusChecksum(algorithm: algorithm, digest: Array(data))
    }
}

/// HTTP's date format (RFC 9110 §5.6.7, IMF-fixdate), for `Upload-Expires`.
public enum HTTPDate {
    public static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
    }
}
