import Foundation
import TackCore

/// A tus upload under way: where its bytes go, how far they have come, and what it becomes when complete.
public struct ResumableUpload: Sendable, Equatable {
    public var id: UploadID
    public var room: RoomID
    public var uploader: String
    /// Total bytes; nil until a creation that deferred it (`Upload-Defer-Length`) is told.
    public var length: Int64?
    /// Bytes received, synced and acknowledged.
    public var offset: Int64
    /// The attachment's name and declared type (`filename`, `filetype`), already validated.
    public var name: String?
    public var declaredType: String?
    /// Text of a message that carries the attachment once complete (`message`).
    public var message: String?
    /// `Upload-Metadata` as the client sent it, returned by HEAD.
    public var metadata: String
    public var isScreenshot: Bool
    public var createdAt: Date
    /// When the upload is deleted if it has not completed; pushed on by each PATCH.
    public var expiresAt: Date
    /// Set once the bytes are an attachment.
    public var attachment: AttachmentID?
    /// The creating client's `Idempotency-Key`, under which the attachment is recorded.
    public var idempotencyKey: String?

    public init(
        id: UploadID, room: RoomID, uploader: String, length: Int64?, offset: Int64 = 0, name: String?,
        declaredType: String?, message: String?, metadata: String, isScreenshot: Bool, createdAt: Date, expiresAt: Date,
        attachment: AttachmentID? = nil, idempotencyKey: String? = nil
    ) {
        self.id = id
        self.room = room
        self.uploader = uploader
        self.length = length
        self.offset = offset
        self.name = name
        self.declaredType = declaredType
        self.message = message
        self.metadata = metadata
        self.isScreenshot = isScreenshot
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.attachment = attachment
        self.idempotencyKey = idempotencyKey
    }

    /// Every byte has arrived.
    public var isFull: Bool { length == offset }
}
