import Foundation
import Hummingbird
import TackCore

/// The attachment as the API shows it.
struct AttachmentJSON: Codable {
    let id: String
    let room: String
    let name: String
    let size: Int64
    let contentType: String
    let sha256: String
    let uploader: String
    let createdAt: Date
    let kind: String
    /// What `type:` finds it as: its media kind, and `link` or `screenshot` for where it came from.
    let types: [String]
    let source: SourceJSON?
    let versionOf: String?
    /// An image's or a video's pixels.
    let width: Int?
    let height: Int?
    /// A PDF's pages.
    let pages: Int?
    /// A video's or a recording's length, in milliseconds.
    let durationMs: Int64?
    /// A video's (or else a recording's) codec, as ffmpeg names it.
    let codec: String?
    let thumbnail: ThumbnailState
    let text: TextState
    /// True when metadata was removed from the stored bytes (their `sha256` is of what is stored).
    let metadataStripped: Bool
    /// Only on an upload's answer: the SHA-256 of the bytes received, which the client compares with what it sent.
    var receivedSha256: String?
    /// Only in search results: the passage of the file's text the search matched, when it matched there.
    var snippet: SnippetJSON?

    /// A passage of a file's text with the matched words marked (offsets and lengths in UTF-16 code units).
    struct SnippetJSON: Codable, JSONWritable {
        struct Highlight: Codable, JSONWritable {
            let start: Int
            let length: Int

            func write(to json: inout JSONWriter) {
                json.object { json in
                    json.field("length", length)
                    json.field("start", start)
                }
            }
        }

        let text: String
        let highlights: [Highlight]

        init(_ snippet: TextSnippet) {
            text = snippet.text
            highlights = snippet.highlights.map { Highlight(start: $0.start, length: $0.length) }
        }

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.field("highlights", highlights)
                json.field("text", text)
            }
        }
    }

    /// `none` for files that are not images, then `pending`, `ready` or `failed` with the reason.
    struct ThumbnailState: Codable {
        let state: String
        let reason: String?
    }

    /// `none` for files with no text tackd reads, then `pending`, `done` (how many characters, and whether the file
    /// held more than was kept) or `failed` with the reason.
    struct TextState: Codable {
        let state: String
        let characters: Int?
        let truncated: Bool?
        let reason: String?

        init(_ a: Attachment, reading: TextReading) {
            // Text already read is reported as it is (search finds the file by it), even where it would not be read
            // now (a screenshot since `ocr = off`, or bytes first read as another attachment's).
            switch (reading.format(of: a), a.text) {
            case (nil, nil): (state, characters, truncated, reason) = ("none", nil, nil, nil)
            case (_?, nil): (state, characters, truncated, reason) = ("pending", nil, nil, nil)
            case (_, let info?):
                if let failure = info.failure {
                    (state, characters, truncated, reason) = ("failed", nil, nil, failure)
                } else {
                    (state, characters, truncated, reason) = ("done", info.characters, info.truncated, nil)
                }
            }
        }
    }

    /// Where a linked file came from.
    struct SourceJSON: Codable {
        let provider: String
        let url: String
        let fetchedAt: Date
        let etag: String?
    }

    init(_ a: Attachment, reading: TextReading) {
        metadataStripped = a.metadataStripped
        width = a.image?.width
        height = a.image?.height
        pages = a.image?.pages
        durationMs = a.image?.durationMilliseconds
        codec = a.image?.codec
        thumbnail = switch (a.isThumbnailable, a.image) {
        case (false, _): ThumbnailState(state: "none", reason: nil)
        case (true, nil): ThumbnailState(state: "pending", reason: nil)
        case (true, let info?): info.failure.map { ThumbnailState(state: "failed", reason: $0) } ?? ThumbnailState(state: "ready", reason: nil)
        }
        text = TextState(a, reading: reading)
        kind = a.kind
        types = a.types.map(\.rawValue)
        source = a.source.map { SourceJSON(provider: $0.provider, url: $0.url, fetchedAt: $0.fetchedAt, etag: $0.etag) }
        versionOf = a.versionOf?.rawValue
        id = a.id.rawValue
        room = a.room.rawValue
        name = a.name
        size = a.size
        contentType = a.contentType
        sha256 = a.sha256.hex
        uploader = a.uploader
        createdAt = a.createdAt
    }
}

extension AttachmentJSON: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("codec", codec)
            json.field("contentType", contentType)
            json.field("createdAt", createdAt)
            json.field("durationMs", durationMs)
            json.field("height", height)
            json.field("id", id)
            json.field("kind", kind)
            json.field("metadataStripped", metadataStripped)
            json.field("name", name)
            json.field("pages", pages)
            json.field("receivedSha256", receivedSha256)
            json.field("room", room)
            json.field("sha256", sha256)
            json.field("size", size)
            json.field("snippet", snippet)
            json.field("source", source)
            json.field("text", text)
            json.field("thumbnail", thumbnail)
            json.field("types", types)
            json.field("uploader", uploader)
            json.field("versionOf", versionOf)
            json.field("width", width)
        }
    }
}

extension AttachmentJSON.ThumbnailState: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("reason", reason)
            json.field("state", state)
        }
    }
}

/// An attachment's text as `GET /attachments/{id}/text` shows it: its state, and the text once read.
struct AttachmentTextJSON: JSONWritable {
    let attachment: String
    let state: AttachmentJSON.TextState
    let text: String?

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("attachment", attachment)
            json.field("characters", state.characters)
            json.field("reason", state.reason)
            json.field("state", state.state)
            json.field("text", text)
            json.field("truncated", state.truncated)
        }
    }
}

extension AttachmentJSON.TextState: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("characters", characters)
            json.field("reason", reason)
            json.field("state", state)
            json.field("truncated", truncated)
        }
    }
}

extension AttachmentJSON.SourceJSON: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("etag", etag)
            json.field("fetchedAt", fetchedAt)
            json.field("provider", provider)
            json.field("url", url)
        }
    }
}

/// The room as the API shows it.
struct RoomJSON: Codable {
    let id: String
    let name: String
    let creator: String
    let members: [String]
    let createdAt: Date
    /// The room's own retention; null follows the server's.
    let retentionDays: Int?

    init(_ r: Room) {
        id = r.id.rawValue
        name = r.name
        creator = r.creator
        members = r.members
        createdAt = r.createdAt
        retentionDays = r.retentionDays
    }

    enum CodingKeys: String, CodingKey { case id, name, creator, members, createdAt, retentionDays }

    /// `retentionDays` is always present, null when the room follows the server (as `JSONWriter` writes it).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(creator, forKey: .creator)
        try container.encode(members, forKey: .members)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(retentionDays, forKey: .retentionDays)
    }
}

extension RoomJSON: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("createdAt", createdAt)
            json.field("creator", creator)
            json.field("id", id)
            json.field("members", members)
            json.field("name", name)
            json.fieldOrNull("retentionDays", retentionDays)
        }
    }
}

/// The message as the API shows it, with its attachments inline.
struct MessageJSON: Codable {
    let id: String
    let room: String
    let author: String
    let text: String
    let attachments: [AttachmentJSON]
    let createdAt: Date
    /// What the message carried that is gone, in its place.
    let removed: [RemovedAttachmentJSON]

    init(_ m: Message, reading: TextReading) {
        id = m.id.rawValue
        room = m.room.rawValue
        author = m.author
        text = m.text
        attachments = m.attachments.map { AttachmentJSON($0, reading: reading) }
        createdAt = m.createdAt
        removed = m.removed.map(RemovedAttachmentJSON.init)
    }
}

/// An attachment a message carried before it was deleted (`reason` deleted) or outlived its room (`retention`).
struct RemovedAttachmentJSON: Codable, JSONWritable {
    let id: String
    let name: String
    let reason: String
    let removedAt: Date

    init(_ r: RemovedAttachment) {
        id = r.id.rawValue
        name = r.name
        reason = r.reason.rawValue
        removedAt = r.removedAt
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("id", id)
            json.field("name", name)
            json.field("reason", reason)
            json.field("removedAt", removedAt)
        }
    }
}

extension MessageJSON: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("attachments", attachments)
            json.field("author", author)
            json.field("createdAt", createdAt)
            json.field("id", id)
            json.field("removed", removed)
            json.field("room", room)
            json.field("text", text)
        }
    }
}

/// A page of a listing; `next` is always present, null on the last page.
struct PageJSON<Item: Encodable>: Encodable {
    let items: [Item]
    let next: String?

    enum CodingKeys: CodingKey { case items, next }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(next, forKey: .next)
    }
}

extension PageJSON: JSONWritable where Item: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("items", items)
            json.fieldOrNull("next", next)
        }
    }
}

extension Date: JSONWritable {
    /// As `JSONBody.encoder()` writes dates.
    func write(to json: inout JSONWriter) { json.string(Timestamp.rfc3339(self)) }
}

enum JSONBody {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            // Not ISO8601DateFormatter: making one per date was most of what a page of attachments cost.
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.rfc3339(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    /// The answer for one of the API's hot shapes, written by `JSONWriter` rather than JSONEncoder.
    static func response(writing value: some JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(of: value))))
    }

    /// Reads a small JSON request body, refusing one that is too large or malformed with a clear code.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw TackError(.tooLarge, "the JSON body is larger than \(limit) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as TackError {
            throw error
        } catch let DecodingError.keyNotFound(key, _) {
            throw TackError.invalid(.invalidJSON, "the JSON body lacks the field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw TackError.invalid(.invalidJSON, "the JSON field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw TackError.invalid(.invalidJSON, "the body is not valid JSON of the expected shape")
        }
    }
}
