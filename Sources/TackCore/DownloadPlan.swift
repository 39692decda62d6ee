/// Decides status, headers and bytes for a download of an attachment's content: Range, conditional requests,
/// and the headers that keep a browser from running what it downloads.
///
/// Pure, so every combination of request headers is testable without a server.
public struct DownloadPlan: Sendable, Equatable {
    public enum Method: Sendable { case get, head }

    /// Content types served as themselves but never inline; markup is served as opaque bytes.
    static let markupTypes: Set<String> = ["text/html", "image/svg+xml", "application/xml", "text/xml"]

    public let status: Int
    public let headers: [(String, String)]
    /// The bytes to send, or nil for no body (304, 416, HEAD, an empty file).
    public let bytes: ClosedRange<Int64>?

    /// `inline` overrides the choice by type (a signed link asks for one; only types safe inline get it), and
    /// `crossOrigin` lets other sites embed the bytes (a signed link is made to be used elsewhere).
    public init(attachment: Attachment, method: Method, range: String?, ifRange: String?, ifNoneMatch: String?,
                inline requested: Bool? = nil, crossOrigin: Bool = false) {
        let etag = "\"\(attachment.sha256.hex)\""
        var headers: [(String, String)] = [
            ("ETag", etag),
            ("Accept-Ranges", "bytes"),
            ("Cache-Control", "private, no-cache"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            ("Cross-Origin-Resource-Policy", crossOrigin ? "cross-origin" : "same-origin"),
            // Repr-Digest, not Content-Digest: it describes the whole file even when a 206 carries part of it (RFC 9530).
            ("Repr-Digest", ContentDigest.header(for: attachment.sha256)),
        ]
        if let ifNoneMatch, Self.matches(ifNoneMatch, etag: etag) {
            status = 304
            self.headers = headers
            bytes = nil
            return
        }
        let essence = attachment.contentType.split(separator: ";").first.map { String($0).lowercased() } ?? ""
        let inline = ContentSniffer.inlineTypes.contains(essence) && requested != false
        headers.append(("Content-Type", Self.markupTypes.contains(essence) ? "application/octet-stream" : attachment.contentType))
        headers.append(("Content-Disposition", ContentDisposition.header(inline: inline, fileName: attachment.name)))

        let size = attachment.size
        // If-Range with another validator means the client's partial copy is stale: send it all.
        // Range is defined for GET only (RFC 9110 §14.2); HEAD describes the whole representation.
        let honoursRange = method == .get && (ifRange.map { $0.trimmingWhitespace() == etag } ?? true)
        let decision = honoursRange ? ByteRange.decide(header: range, size: size) : .full
        switch decision {
        case .unsatisfiable:
            status = 416
            headers.append(("Content-Range", "bytes */\(size)"))
            bytes = nil
        case .partial(let part):
            status = 206
            headers.append(("Content-Range", "bytes \(part.lowerBound)-\(part.upperBound)/\(size)"))
            headers.append(("Content-Length", "\(part.count)"))
            bytes = method == .get ? part : nil
        case .full:
            status = 200
            headers.append(("Content-Length", "\(size)"))
            bytes = method == .get && size > 0 ? 0...(size - 1) : nil
        }
        self.headers = headers
    }

    /// `If-None-Match`: `*`, or a list of entity tags compared weakly (RFC 9110 §13.1.2).
    public static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingWhitespace()
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            return tag == etag
        }
    }

    public static func == (lhs: DownloadPlan, rhs: DownloadPlan) -> Bool {
        lhs.status == rhs.status && lhs.bytes == rhs.bytes
            && lhs.headers.map { "\($0.0):\($0.1)" } == rhs.headers.map { "\($0.0):\($0.1)" }
    }
}
