import Foundation
import TackCore

/// The metadata of users, rooms, attachments and messages, and the reference counts that keep blobs alive.
///
/// Every implementation (SQLite on one machine, PostgreSQL for many instances) must pass `CatalogContract`
/// unchanged. Methods that change several rows do so in one transaction: a crash leaves all or nothing.
public protocol Catalog: Sendable {
    /// Creates a user with a first token; `conflict` when the name is taken.
    func createUser(name: String, role: Role, tokenDigest: String, at: Date) async throws -> User
    /// Adds a token for an existing user; `not_found` otherwise.
    func addToken(user: String, tokenDigest: String, at: Date) async throws
    func user(forTokenDigest digest: String) async throws -> User?
    func user(named name: String) async throws -> User?

    /// Creates a room; every member must exist (`unknown_user` otherwise).
    func createRoom(_ room: Room) async throws
    func room(_ id: RoomID) async throws -> Room?
    /// The rooms `user` is a member of, newest first.
    func rooms(of user: String) async throws -> [Room]
    /// Adds a member; `unknown_user` when no such user exists. Adding a member twice changes nothing.
    func addMember(_ user: String, to room: RoomID) async throws
    /// Removes a member; false when they were not one.
    func removeMember(_ user: String, from room: RoomID) async throws -> Bool

    /// Keeps garbage collection away from `hash` until `until` or until released; returns the pin's token.
    func pin(_ hash: ContentHash, until: Date) async throws -> String
    func releasePin(_ token: String) async throws
    /// True when a live pin guards `hash` at `now`.
    func isPinned(_ hash: ContentHash, at now: Date) async throws -> Bool

    /// Records an attachment and counts one more reference to its blob, releasing `pin` in the same transaction.
    func insertAttachment(_ attachment: Attachment, releasing pin: String?) async throws
    func attachment(_ id: AttachmentID) async throws -> Attachment?
    /// A room's attachments, newest first.
    func attachments(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Attachment>
    /// Deletes an attachment (and its place in messages) and counts one reference less; when that was the last
    /// reference to its bytes, their thumbnails are dropped too. Nil when there was no such attachment.
    func deleteAttachment(_ id: AttachmentID) async throws -> Attachment?
    /// Notes that a linked attachment was fetched again and found unchanged.
    func recordRefetch(_ id: AttachmentID, source: LinkSource) async throws
    /// The newest of a linked attachment's versions (the attachment itself when it was never refreshed with change).
    func latestVersion(of root: AttachmentID) async throws -> Attachment?
    /// Records what decoding an image found (size, or why it failed), once per source blob.
    func recordImage(_ hash: ContentHash, info: ImageInfo) async throws
    func thumbnail(of source: ContentHash, size: Int, method: String) async throws -> StoredThumbnail?
    /// Records a thumbnail and counts a reference to its blob, releasing `pin`; recording one twice changes nothing.
    func insertThumbnail(_ thumbnail: StoredThumbnail, releasing pin: String?) async throws
    /// How many attachments use `hash`.
    func references(to hash: ContentHash) async throws -> Int
    /// Referenced or pinned at `now`, read in one snapshot: garbage collection must never see the pin already
    /// released and the reference not yet recorded, which two separate reads could.
    func isInUse(_ hash: ContentHash, at now: Date) async throws -> Bool
    /// Forgets the blob's row once it has no references; called after the bytes are purged.
    func forgetBlob(_ hash: ContentHash) async throws

    /// Records a message; every attachment must belong to the message's room (`foreign_attachment` otherwise).
    func insertMessage(id: MessageID, room: RoomID, author: String, text: String,
                       attachments: [AttachmentID], at: Date) async throws -> Message
    /// A room's messages with their attachments, newest first.
    func messages(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Message>

    /// What an earlier upload with this client-chosen key made, so a retried upload returns it instead of adding
    /// the file again.
    func idempotentUpload(user: String, key: String) async throws -> IdempotentUpload?
    /// Remembers an upload's key; the first record for a (user, key) wins.
    func recordIdempotentUpload(user: String, key: String, upload: IdempotentUpload, at: Date) async throws
    /// The message an earlier post with this key made, with its attachments.
    func idempotentMessage(user: String, key: String) async throws -> Message?
    /// Remembers a message's key; the first record for a (user, key) wins.
    func recordIdempotentMessage(user: String, key: String, message: MessageID, at: Date) async throws
}

/// An upload an idempotency key points at: the attachment, and the SHA-256 of the bytes that were received.
public struct IdempotentUpload: Sendable, Equatable {
    public var attachment: AttachmentID
    public var received: ContentHash

    public init(attachment: AttachmentID, received: ContentHash) {
        self.attachment = attachment; self.received = received
    }
}
