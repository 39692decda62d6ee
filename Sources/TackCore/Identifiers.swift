/// A kind of identifier; its prefix makes ids self-describing in logs and URLs.
public protocol IdentifierKind: Sendable {
    static var prefix: String { get }
}

/// An opaque, unguessable identifier: the kind's prefix, `_`, and 128 random bits in lowercase base32.
///
/// Unguessable because ids appear in URLs that may leak into logs; access is still checked on every request.
public struct Identifier<Kind: IdentifierKind>: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// Accepts only text of this kind's exact shape, so junk never reaches a database lookup.
    public init?(validating text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        let head = Array((Kind.prefix + "_").utf8)
        guard utf8.count == head.count + 26, utf8.starts(with: head),
              utf8[head.count...].allSatisfy({ Self.alphabet.contains($0) })
        else { return nil }
        self.rawValue = String(text)
    }

    public static func make() -> Self {
        var generator = SystemRandomNumberGenerator()
        var low = UInt64.random(in: .min ... .max, using: &generator)
        var high = UInt64.random(in: .min ... .max, using: &generator)
        var out = [UInt8]()
        out.reserveCapacity(26)
        for _ in 0..<26 {
            out.append(alphabet[Int(low & 31)])
            low = (low >> 5) | (high << 59)
            high >>= 5
        }
        return Self(rawValue: Kind.prefix + "_" + String(decoding: out, as: UTF8.self))
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static var alphabet: [UInt8] { Array("abcdefghijklmnopqrstuvwxyz234567".utf8) }
}

/// Attachment ids: `att_…`.
public enum AttachmentKind: IdentifierKind { public static let prefix = "att" }
/// Room ids: `room_…`.
public enum RoomKind: IdentifierKind { public static let prefix = "room" }
/// Message ids: `msg_…`.
public enum MessageKind: IdentifierKind { public static let prefix = "msg" }

/// Resumable (tus) upload ids: `upl_…`.
public enum UploadKind: IdentifierKind { public static let prefix = "upl" }

/// Identifies an attachment (`att_…`).
public typealias AttachmentID = Identifier<AttachmentKind>
/// Identifies a room (`room_…`).
public typealias RoomID = Identifier<RoomKind>
/// Identifies a message (`msg_…`).
public typealias MessageID = Identifier<MessageKind>
/// Identifies a resumable upload (`upl_…`).
public typealias UploadID = Identifier<UploadKind>
