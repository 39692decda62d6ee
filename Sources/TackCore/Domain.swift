import Foundation

/// What a user is on the platform; only clients create rooms.
public enum Role: String, Sendable, Codable, CaseIterable {
    case client
    case freelancer
}

/// A person who talks in rooms, known by a unique name.
public struct User: Sendable, Hashable, Codable {
    public var name: String
    public var role: Role
    public var createdAt: Date

    public init(name: String, role: Role, createdAt: Date) {
        self.name = name
        self.role = role
        self.createdAt = createdAt
    }
}

/// A conversation with one person or a group, and everything attached to it.
public struct Room: Sendable, Hashable, Codable {
    public var id: RoomID
    public var name: String
    public var creator: String
    public var members: [String]
    public var createdAt: Date
    /// Days the room keeps attachments, set by its creator; nil follows the server's `retention_days`, 0 keeps them.
    public var retentionDays: Int?

    public init(id: RoomID, name: String, creator: String, members: [String], createdAt: Date, retentionDays: Int? = nil) {
        self.id = id
        self.name = name
        self.creator = creator
        self.members = members
        self.createdAt = createdAt
        self.retentionDays = retentionDays
    }
}

/// A file attached to a room; its bytes live in the blob store under `sha256`.
public struct Attachment: Sendable, Hashable, Codable {
    public var id: AttachmentID
    public var room: RoomID
    public var name: String
    public var size: Int64
    public var contentType: String
    public var sha256: ContentHash
    public var uploader: String
    public var createdAt: Date
    /// Where a linked file came from; nil for uploads.
    public var source: LinkSource?
    /// For a refreshed link whose bytes changed: the attachment it is a newer version of.
    public var versionOf: AttachmentID?
    /// What thumbnailing learned about the image; nil until it has run (or for non-images).
    public var image: ImageInfo?
    /// True when tackd removed metadata (EXIF, GPS, XMP, comments) from the stored bytes; `sha256` is of those.
    public var metadataStripped = false
    /// True for a screenshot sent by `tack shot` (the upload said `origin=screenshot`).
    public var isScreenshot = false
    /// How reading the file's text went; nil until it has run (or for files with no text tackd reads).
    public var text: TextInfo?

    public init(
        id: AttachmentID, room: RoomID, name: String, size: Int64, contentType: String,
        sha256: ContentHash, uploader: String, createdAt: Date, source: LinkSource? = nil, versionOf: AttachmentID? = nil,
        image: ImageInfo? = nil
    ) {
        self.id = id
        self.room = room
        self.name = name
        self.size = size
        self.contentType = contentType
        self.sha256 = sha256
        self.uploader = uploader
        self.createdAt = createdAt
        self.source = source
        self.versionOf = versionOf
        self.image = image
    }

    /// What tackd makes this file's thumbnails from, or nil for a file it has no preview of.
    public var previewSource: PreviewSource? { PreviewSource(contentType: contentType) }

    /// True for the types tackd thumbnails (images; PDFs, videos and recordings by a picture of them).
    public var isThumbnailable: Bool { previewSource != nil }

    /// `upload` or `link`.
    public var kind: String { source == nil ? "upload" : "link" }

    /// How tackd reads this file's text, or nil when it has none it reads. Screenshots, and other images once their
    /// thumbnail job found they look like text, are read by OCR; photos are not (they hold little text, and OCR of
    /// them costs seconds for noise).
    public var textFormat: TextFormat? {
        TextFormat(contentType: contentType)
            ?? ((isScreenshot || image?.looksLikeText == true) && previewSource == .image ? .screenshot : nil)
    }
}

/// How a thumbnail fits its box.
public enum ThumbnailMethod: String, Sendable, CaseIterable {
    /// Fit inside the box, keeping the aspect ratio; never enlarge.
    case scale
    /// Fill the box and cut the overflow, centred.
    case crop
}

/// What a file's thumbnails are made from: the image itself, or a picture a worker process makes of the file (a
/// PDF's first page, a video's frame, an animated image's first frame, a recording's waveform).
public enum PreviewSource: String, Sendable, Hashable, CaseIterable {
    case image
    case pdfPage = "pdf-page"
    /// A video's frame a few seconds in, or a GIF's or WebP's first frame.
    case videoFrame = "video-frame"
    case waveform
    /// The primary image of a HEIF file (HEIC from a phone, AVIF), decoded by libheif.
    case heifImage = "heif-image"

    /// Only the types decoded safely: PNG and JPEG by tackd's own decoders, the rest by poppler or ffmpeg in a
    /// worker process.
    public init?(contentType: String) {
        switch ContentSniffer.essence(contentType) {
        case "image/png", "image/jpeg": self = .image
        case "application/pdf": self = .pdfPage
        case "video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "image/gif", "image/webp": self = .videoFrame
        case "audio/mpeg", "audio/ogg", "audio/wav", "audio/flac", "audio/mp4": self = .waveform
        case "image/heic", "image/heif", "image/avif": self = .heifImage
        default: return nil
        }
    }
}

/// How reading a file's text went, shared by every attachment of the same bytes; the text itself is read apart.
public struct TextInfo: Sendable, Hashable, Codable {
    /// Nil when the text was read; the reason when it could not be.
    public var failure: String?
    /// Characters of text kept (0 for a file with none).
    public var characters: Int
    /// True when the file held more text than `max_extract_bytes` kept.
    public var truncated: Bool

    public init(failure: String?, characters: Int, truncated: Bool) {
        self.failure = failure
        self.characters = characters
        self.truncated = truncated
    }
}

/// A file's text as stored: what was read and how that went.
public struct BlobText: Sendable, Hashable {
    public var info: TextInfo
    /// Empty when reading failed.
    public var text: String

    public init(info: TextInfo, text: String) {
        self.info = info
        self.text = text
    }
}

/// An image's upright size, or why it could not be thumbnailed; shared by every attachment of the same bytes.
public struct ImageInfo: Sendable, Hashable, Codable {
    /// Pixels of an image or a video; nil for what has none (a PDF, a recording).
    public var width: Int?
    public var height: Int?
    /// Nil when thumbnails were made; the reason when the image could not be decoded.
    public var failure: String?
    /// A PDF's pages.
    public var pages: Int?
    /// A video's or a recording's length.
    public var durationMilliseconds: Int64?
    /// A video's (or else a recording's) codec as ffmpeg names it: `h264`, `vp9`, `mp3`, `flac`.
    public var codec: String?
    /// Whether a PNG looks like text (`TextLikeness`), so it is read by OCR though not sent as a screenshot;
    /// nil until the thumbnail job measured it (only while OCR is on).
    public var looksLikeText: Bool?

    public init(width: Int?, height: Int?, failure: String?, pages: Int? = nil, durationMilliseconds: Int64? = nil,
                codec: String? = nil, looksLikeText: Bool? = nil) {
        self.width = width
        self.height = height
        self.failure = failure
        self.pages = pages
        self.durationMilliseconds = durationMilliseconds
        self.codec = codec
        self.looksLikeText = looksLikeText
    }

    /// This, with what `known` (the facts recorded before) measured that this did not: a thumbnail of another size
    /// does not look at the text again, and must not forget what the first one found.
    public func keeping(_ known: ImageInfo?) -> ImageInfo {
        var merged = self
        if merged.looksLikeText == nil { merged.looksLikeText = known?.looksLikeText }
        return merged
    }
}

/// What a preview worker learned about a file beside its picture: a PDF's pages; a video's size, length and codec; a
/// recording's length and codec.
public struct MediaFacts: Sendable, Hashable, Codable {
    public var pages: Int?
    public var width: Int?
    public var height: Int?
    public var durationMilliseconds: Int64?
    public var codec: String?

    public init(pages: Int? = nil, width: Int? = nil, height: Int? = nil, durationMilliseconds: Int64? = nil, codec: String? = nil) {
        self.pages = pages; self.width = width; self.height = height
        self.durationMilliseconds = durationMilliseconds; self.codec = codec
    }

    /// The page count `pdfinfo` printed (its `Pages:` line); nil when there is none.
    public static func pdfPages(fromPDFInfo output: String) -> Int? {
        for line in output.split(separator: "\n") where line.hasPrefix("Pages:") {
            // Split in Swift: Foundation's trimmingCharacters goes through NSString, a millisecond of start-up in a
            // worker that runs once per file.
            let words = line.dropFirst("Pages:".count).split(whereSeparator: \.isWhitespace)
            return words.count == 1 ? Int(words[0]).flatMap { $0 >= 0 ? $0 : nil } : nil
        }
        return nil
    }
}

/// A thumbnail stored as a blob of its own, keyed by (source hash, size, method).
public struct StoredThumbnail: Sendable, Hashable {
    public var source: ContentHash
    public var size: Int
    public var method: String
    public var blob: ContentHash
    public var contentType: String
    public var width: Int
    public var height: Int

    public init(source: ContentHash, size: Int, method: String, blob: ContentHash, contentType: String, width: Int, height: Int) {
        self.source = source
        self.size = size
        self.method = method
        self.blob = blob
        self.contentType = contentType
        self.width = width
        self.height = height
    }
}

/// The external file a linked attachment was fetched from, and what the upstream said about it.
public struct LinkSource: Sendable, Hashable, Codable {
    /// `dropbox`, `google_drive`, `onedrive`, `box` or `https`.
    public var provider: String
    /// The link as the member pasted it.
    public var url: String
    public var fetchedAt: Date
    public var etag: String?
    public var lastModified: String?

    public init(provider: String, url: String, fetchedAt: Date, etag: String?, lastModified: String?) {
        self.provider = provider
        self.url = url
        self.fetchedAt = fetchedAt
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// A message in a room, with the attachments it carries.
public struct Message: Sendable, Hashable, Codable {
    public var id: MessageID
    public var room: RoomID
    public var author: String
    public var text: String
    public var attachments: [Attachment]
    public var createdAt: Date
    /// Attachments the message carried that are gone, and why.
    public var removed: [RemovedAttachment] = []

    public init(id: MessageID, room: RoomID, author: String, text: String, attachments: [Attachment], createdAt: Date) {
        self.id = id
        self.room = room
        self.author = author
        self.text = text
        self.attachments = attachments
        self.createdAt = createdAt
    }
}

/// An attachment a message carried until it was deleted: what the message still shows in its place.
public struct RemovedAttachment: Sendable, Hashable, Codable {
    /// Why an attachment went.
    public enum Reason: String, Sendable, Codable {
        /// Its uploader or the room's creator deleted it.
        case deleted
        /// It was older than the room's retention allows.
        case retention
    }

    public var id: AttachmentID
    public var name: String
    public var reason: Reason
    public var removedAt: Date

    public init(id: AttachmentID, name: String, reason: Reason, removedAt: Date) {
        self.id = id
        self.name = name
        self.reason = reason
        self.removedAt = removedAt
    }
}

/// When attachments of a room leave under its retention: pure arithmetic on days, kept apart from the catalog.
public enum RetentionPolicy {
    /// The days that apply: the room's own, else the server's; nil when attachments are kept forever.
    public static func days(room: Int?, server: Int) -> Int? {
        let days = room ?? server
        return days > 0 ? days : nil
    }

    /// Attachments created before this instant are past `days` at `now`.
    public static func cutoff(days: Int, at now: Date) -> Date {
        now.addingTimeInterval(-Double(days) * 86_400)
    }
}

/// One page of a newest-first listing and the cursor that continues it.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: PageCursor?

    public init(items: [Item], next: PageCursor?) {
        self.items = items
        self.next = next
    }
}

/// Where a newest-first listing continues: strictly older than the row with this sequence number.
///
/// Opaque to clients (a short token), so the ordering key can change without breaking them.
public struct PageCursor: Sendable, Hashable {
    public var before: Int64

    public init(before: Int64) { self.before = before }

    public init?(token: String) {
        guard token.hasPrefix("c"), let value = Int64(token.dropFirst()), value > 0 else { return nil }
        self.before = value
    }

    public var token: String { "c\(before)" }
}
