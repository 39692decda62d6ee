/// Reads an `Idempotency-Key` header: the client's name for one logical upload, so a retry after a lost answer
/// returns the first result instead of storing the file twice.
public enum IdempotencyKey {
    public static let maxLength = 200

    /// nil when the header is absent; printable ASCII up to 200 characters otherwise.
    public static func parse(_ header: String?) throws(TackError) -> String? {
        guard let header else { return nil }
        var text = Substring(header)
        // RFC draft-ietf-httpapi-idempotency-key-header sends it as a quoted string; a bare token is accepted too.
        if text.count >= 2, text.first == "\"", text.last == "\"" { text = text.dropFirst().dropLast() }
        guard !text.isEmpty, text.utf8.count <= maxLength, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x22 }) else {
            throw .invalid(.invalidIdempotencyKey, "Idempotency-Key must be 1 to \(maxLength) printable ASCII characters without spaces or quotes")
        }
        return String(text)
    }
}
