import RawStructuredFieldValues

/// Reads the SHA-256 a client sent in `Content-Digest` (RFC 9530), so the upload can be verified end to end.
public enum ContentDigest {
    /// The header's SHA-256, or nil when there is no header.
    /// A header that is broken, or that offers only algorithms tackd does not verify, is refused: a client
    /// that asks for verification must not silently go without it.
    public static func sha256(fromHeader header: String?) throws(TackError) -> ContentHash? {
        guard let header else { return nil }
        let dictionary: OrderedMap<String, ItemOrInnerList>
        do {
            var parser = StructuredFieldValueParser(Array(header.utf8))
            dictionary = try parser.parseDictionaryFieldValue()
        } catch {
            throw .invalid(.invalidDigest, "Content-Digest is not a valid structured field, e.g. sha-256=:BASE64:")
        }
        guard let member = dictionary["sha-256"] else {
            throw .invalid(.unsupportedDigest, "Content-Digest has no sha-256 member; tackd verifies sha-256 only")
        }
        guard case .item(let item) = member, case .undecodedByteSequence(let base64) = item.rfc9651BareItem,
              let hash = ContentHash(base64: base64)
        else {
            throw .invalid(.invalidDigest, "Content-Digest sha-256 must be a byte sequence of 32 bytes, e.g. sha-256=:BASE64:")
        }
        return hash
    }

    /// The header value tackd sends for a blob.
    public static func header(for hash: ContentHash) -> String { "sha-256=:\(hash.base64):" }
}
