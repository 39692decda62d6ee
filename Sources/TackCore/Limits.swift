/// Every bound tackd enforces, with the defaults an operator gets without configuring anything.
public struct Limits: Sendable, Equatable, Codable {
    /// Largest attachment accepted, in bytes.
    public var maxUploadBytes: Int64 = 100 * 1024 * 1024
    /// Longest attachment name kept, in UTF-8 bytes; longer names are shortened, keeping the extension.
    public var maxNameBytes: Int = 255
    /// Items in a page when the client does not ask.
    public var defaultPageSize: Int = 50
    /// Most items a client may ask for in one page.
    public var maxPageSize: Int = 200
    /// Longest room name, in UTF-8 bytes.
    public var maxRoomNameBytes: Int = 200
    /// Longest message text, in UTF-8 bytes.
    public var maxMessageBytes: Int = 64 * 1024
    /// Most attachments one message may carry.
    public var maxAttachmentsPerMessage: Int = 100
    /// Largest JSON request body, in bytes.
    public var maxJSONBytes: Int = 1024 * 1024
    /// Longest search (`q=`), in UTF-8 bytes.
    public var maxQueryBytes: Int = 1024

    public init() {}

    /// Refuses message text over `maxMessageBytes`.
    public func checkMessage(_ text: String) throws(TackError) {
        guard text.utf8.count <= maxMessageBytes else {
            throw .invalid(.messageTooLong, "a message holds at most \(maxMessageBytes) bytes of text")
        }
        guard !text.utf8.contains(0) else {
            throw .invalid(.invalidText, "a message must not contain a NUL character")
        }
    }

    /// The page size for a request's `limit`: the default when absent, refused when out of range.
    public func pageSize(requested: String?) throws(TackError) -> Int {
        guard let requested else { return defaultPageSize }
        guard let value = Int(requested), value >= 1, value <= maxPageSize else {
            throw .invalid(.invalidLimit, "limit must be a whole number from 1 to \(maxPageSize)")
        }
        return value
    }
}
