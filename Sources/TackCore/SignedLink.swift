/// An attachment link that works without a token until it expires: for `<img src>`, mail, other programs.
///
/// The URL carries everything the server checks (no row per link): the attachment, when the link expires, how the
/// file opens, who made it, the id of the key that signed it, and an HMAC-SHA256 over all of them. The member who
/// made it is named so the link stops working when they leave the room. Pure: signing is `sign`'s closure.
public struct SignedLink: Sendable, Equatable {
    public enum Disposition: String, Sendable { case inline, attachment }

    public var attachment: AttachmentID
    /// Seconds since 1970.
    public var expires: Int64
    public var disposition: Disposition
    public var creator: String
    public var keyID: String

    public init(attachment: AttachmentID, expires: Int64, disposition: Disposition, creator: String, keyID: String) {
        self.attachment = attachment
        self.expires = expires
        self.disposition = disposition
        self.creator = creator
        self.keyID = keyID
    }

    /// The bytes the signature covers: each field once, in a fixed order, separated by a byte no field may hold
    /// (ids and names never contain a newline), so no two links share a message.
    public var message: [UInt8] {
        Array([attachment.rawValue, String(expires), disposition.rawValue, creator, keyID].joined(separator: "\n").utf8)
    }

    /// The path and query of the link, given the signature of `message` (base64url, no padding).
    public func path(signature: String, thumbnail: Int? = nil) -> String {
        var query = "e=\(expires)&d=\(disposition == .inline ? "i" : "a")&u=\(URIEncoding.encode(creator))&k=\(keyID)&s=\(signature)"
        if let thumbnail { query += "&thumbnail=\(thumbnail)" }
        return "/f/\(attachment.rawValue)?\(query)"
    }

    /// The link a request names, and the signature it carries; nil when a part is missing or malformed.
    public static func parse(attachment raw: String, query: [String: String]) -> (link: SignedLink, signature: String)? {
        guard let attachment = AttachmentID(validating: raw),
              let expires = query["e"].flatMap({ Int64($0) }),
              let disposition = query["d"].flatMap({ $0 == "i" ? Disposition.inline : $0 == "a" ? .attachment : nil }),
              let creator = query["u"], !creator.isEmpty, !creator.contains("\n"),
              let keyID = query["k"], !keyID.isEmpty, !keyID.contains("\n"),
              let signature = query["s"], !signature.isEmpty
        else { return nil }
        return (SignedLink(attachment: attachment, expires: expires, disposition: disposition, creator: creator,
                           keyID: keyID), signature)
    }
}
