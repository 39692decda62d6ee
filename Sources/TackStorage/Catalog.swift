import Foundation
import TackCore

/// The metadata of users, rooms, attachments and messages, and the reference counts that keep blobs alive.
///
/// Every implementation (SQLite on one machine, PostgreSQL for many instances) must pass `CatalogContract`
/// unchanged. Methods that change several rows do so in one transaction: a crash leaves all or nothing.
public protocol Catalog: Sendable {
    /// Every change a committed write made, published before the write returns; a catalog shared by several
    /// processes also publishes the changes the others make, soon after they commit.
    var changes: CatalogChanges { get }
    /// Publishes what other processes changed since the last look, if anything; cheap when nothing did. A cache
    /// calls it before answering from memory.
    func catchUp() async throws

    /// Creates a user with a first token; `conflict` when the name is taken.
    func createUser(name: String, role: Role, tokenDigest: String, at: Date) async throws -> User
    /// Adds a token for an existing user; `not_found` otherwise.
    func addToken(user: String, tokenDigest: String, at: Date) async throws
    /// The user a token belongs to; nil for unknown and revoked tokens and for removed users.
    func user(forTokenDigest digest: String) async throws -> User?
    /// A user's tokens (never the tokens themselves: only their ids and ages).
    func tokens(of user: String) async throws -> [TokenInfo]
    /// Revokes a token by its id; false when there was none.
    func revokeToken(id: String) async throws -> Bool
    /// Removes a user: their tokens go and they can no longer sign in; their attachments stay in their rooms.
    /// False when there was no such user.
    func removeUser(named name: String) async throws -> Bool
    /// Bytes of the user's live attachments, and their own quota (nil: the server's default applies).
    func usage(of user: String) async throws -> Usage?
    /// Sets a user's quota (nil: back to the server's default); `not_found` for unknown users.
    func setQuota(of user: String, to bytes: Int64?) async throws

    /// Creates a room; every member must exist (`unknown_user` otherwise).
    func createRoom(_ room: Room) async throws
    func room(_ id: RoomID) async throws -> Room?
    /// The rooms `user` is a member of, newest first.
    func rooms(of user: String) async throws -> [Room]
    /// Adds a member; `unknown_user` when no such user exists. Adding a member twice changes nothing.
    func addMember(_ user: String, to room: RoomID) async throws
    /// Removes a member; false when they were not one.
    func removeMember(_ user: String, from room: RoomID) async throws -> Bool
    /// Sets the days a room keeps attachments; nil follows the server's default.
    func setRetention(of room: RoomID, days: Int?) async throws

    /// Keeps garbage collection away from `hash` until `until` or until released; returns the pin's token.
    func pin(_ hash: ContentHash, until: Date) async throws -> String
    func releasePin(_ token: String) async throws

    /// Records an attachment and counts one more reference to its blob, releasing `pin`, all in one transaction.
    /// With `quota`, the attachment's size is charged to its uploader in the same transaction, refused with
    /// `quota_exceeded` when it would take their usage past it. With `key`, the key is recorded with it; when the
    /// uploader's key is recorded already (a concurrent retry won), nothing is recorded, the pin is released, and
    /// the earlier upload is returned.
    func insertAttachment(_ attachment: Attachment, releasing pin: String?, quota: Int64?, key: UploadKey?) async throws
        -> IdempotentUpload?
    func attachment(_ id: AttachmentID) async throws -> Attachment?
    /// A room's attachments, newest first.
    func attachments(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Attachment>
    /// Deletes an attachment and counts one reference less; when that was the last reference to its bytes, their
    /// thumbnails are dropped too. The messages that carried it show it as removed for `reason`. Nil when there was
    /// no such attachment.
    func deleteAttachment(_ id: AttachmentID, reason: RemovedAttachment.Reason) async throws -> Attachment?
    /// Attachments older than their room's retention (its own days, else `defaultDays`; 0 keeps them) at `now`,
    /// oldest first.
    func attachmentsPastRetention(defaultDays: Int, at now: Date, limit: Int) async throws -> [Attachment]
    /// Notes that a linked attachment was fetched again and found unchanged.
    func recordRefetch(_ id: AttachmentID, source: LinkSource) async throws
    /// The newest of a linked attachment's versions (the attachment itself when it was never refreshed with change).
    func latestVersion(of root: AttachmentID) async throws -> Attachment?
    /// Records what decoding an image found (size, or why it failed), once per source blob.
    func recordImage(_ hash: ContentHash, info: ImageInfo) async throws
    /// Records the text read out of some bytes (or why it could not be), once per blob: a read text also goes into
    /// the search index of every attachment of those bytes, and of those added later. The first record of some bytes stands.
    func recordText(_ hash: ContentHash, _ text: BlobText) async throws
    /// The text read out of some bytes; nil before it has been read.
    func text(of hash: ContentHash) async throws -> BlobText?
    func thumbnail(of source: ContentHash, size: Int, method: String) async throws -> StoredThumbnail?
    /// Records a thumbnail and counts a reference to its blob, releasing `pin`; recording one twice changes nothing.
    func insertThumbnail(_ thumbnail: StoredThumbnail, releasing pin: String?) async throws
    /// Referenced or pinned at `now`, read in one snapshot: garbage collection must never see the pin already
    /// released and the reference not yet recorded, which two separate reads could.
    func isInUse(_ hash: ContentHash, at now: Date) async throws -> Bool
    /// Forgets the blob's row once it has no references; called after the bytes are purged.
    func forgetBlob(_ hash: ContentHash) async throws

    /// Records a message; every attachment must belong to the message's room (`foreign_attachment` otherwise).
    /// With `key`, the key is recorded in the same transaction; when the author's key is recorded already, nothing
    /// is recorded and the earlier message is returned (its id differs from `id`).
    func insertMessage(id: MessageID, room: RoomID, author: String, text: String,
                       attachments: [AttachmentID], at: Date, key: String?) async throws -> Message
    /// A room's messages with their attachments, newest first.
    func messages(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Message>

    /// A message with its attachments; nil when there is none.
    func message(_ id: MessageID) async throws -> Message?

    /// Attachments that match `filter`, newest first.
    func searchAttachments(_ filter: AttachmentFilter, limit: Int, cursor: PageCursor?) async throws -> Page<Attachment>
    /// How many attachments match `filter`, and their bytes, by type.
    func summarizeAttachments(_ filter: AttachmentFilter) async throws -> AttachmentCounts

    /// The newest event's number across all rooms (0 before the first): where a new stream starts.
    func latestRoomEvent() async throws -> Int64
    /// A room's events numbered after `seq`, oldest first, at most `limit`.
    func roomEvents(in room: RoomID, after seq: Int64, limit: Int) async throws -> RoomEventBatch

    /// This catalog's id, made once when it is created: blob stores are marked with it.
    func catalogID() async throws -> String

    // Jobs: background work as rows, claimed under a lease.

    /// Queues a job unless one of this kind for this subject exists (queued, running or failed), and unless
    /// `maxQueued` jobs are queued already; false when nothing was queued.
    func enqueueJob(_ kind: JobKind, subject: String, at now: Date, maxQueued: Int) async throws -> Bool
    /// Claims up to `limit` due jobs of `kinds` for `owner` until `now + lease`: queued ones whose time has come, and
    /// running ones whose lease has lapsed (their runner died) unless they have had `maxAttempts` already (then they
    /// are marked failed). Each claim counts an attempt.
    func claimJobs(_ kinds: [JobKind], owner: String, limit: Int, lease: Duration, maxAttempts: Int, at now: Date) async throws -> [Job]
    /// Deletes a job `owner` finished; false when `owner` no longer holds it (its lease lapsed and another took it).
    func finishJob(_ id: Int64, owner: String) async throws -> Bool
    /// Puts a job `owner` holds back in the queue until `retryAt`, or marks it failed when `retryAt` is nil.
    func failJob(_ id: Int64, owner: String, error: String, retryAt: Date?) async throws
    /// Returns every job `owner` holds to the queue at once (a graceful shutdown).
    func releaseJobs(owner: String) async throws
    /// Queues every failed job again with fresh attempts (an operator fixed the cause); returns how many.
    func retryFailedJobs(at now: Date) async throws -> Int
    /// Jobs not yet finished, oldest first.
    func jobs(limit: Int) async throws -> [Job]

    // Keys that sign attachment links (`SignedLink`); kept in the catalog so every instance verifies every link.

    /// Every key, newest first.
    func linkKeys() async throws -> [LinkKey]
    /// Adds a key: new links are signed with the newest, older keys still verify the links they signed.
    func addLinkKey(_ key: LinkKey) async throws
    /// Forgets a key (every link it signed has expired); false when there was none.
    func forgetLinkKey(id: String) async throws -> Bool
    /// Whether `name` is a user who has not been removed.
    func isActiveUser(_ name: String) async throws -> Bool

    // Resumable (tus) uploads: their bytes are in an instance's uploads folder, their state here.

    func createResumableUpload(_ upload: ResumableUpload) async throws
    func resumableUpload(_ id: UploadID) async throws -> ResumableUpload?
    /// The newest unexpired upload `uploader` created with this Idempotency-Key.
    func resumableUpload(uploader: String, idempotencyKey: String, at now: Date) async throws -> ResumableUpload?
    /// Moves an incomplete upload's offset from `offset` to `newOffset` (never backwards, never past its length),
    /// sets a deferred length, and pushes its expiry on; false when the upload was not at `offset` (another PATCH
    /// moved it) or is complete.
    func advanceResumableUpload(_ id: UploadID, from offset: Int64, to newOffset: Int64, length: Int64?,
                                expiresAt: Date) async throws -> Bool
    /// Records the attachment a complete upload became.
    func completeResumableUpload(_ id: UploadID, attachment: AttachmentID) async throws
    func deleteResumableUpload(_ id: UploadID) async throws -> Bool
    /// Bytes `user`'s unfinished, unexpired uploads other than `excluding` hold against the quota: each its length,
    /// or what it has received while its length is not known.
    func reservedResumableBytes(of user: String, excluding: UploadID?, at now: Date) async throws -> Int64
    /// Uploads that need looking after: expired by `now`, or full but not yet an attachment (tackd stopped between
    /// the last byte and the attachment), soonest expiry first.
    func resumableUploadsToSweep(at now: Date, limit: Int) async throws -> [ResumableUpload]

    /// What an earlier upload with this client-chosen key made, so a retried upload returns it instead of adding
    /// the file again.
    func idempotentUpload(user: String, key: String) async throws -> IdempotentUpload?
    /// The message an earlier post with this key made, with its attachments.
    func idempotentMessage(user: String, key: String) async throws -> Message?
}

/// An upload an idempotency key points at: the attachment, and the SHA-256 of the bytes that were received.
public struct IdempotentUpload: Sendable, Equatable {
    public var attachment: AttachmentID
    public var received: ContentHash

    public init(attachment: AttachmentID, received: ContentHash) {
        self.attachment = attachment; self.received = received
    }
}

/// A client-chosen key for an upload and the SHA-256 of the bytes as received, recorded with the attachment.
public struct UploadKey: Sendable, Equatable {
    public var key: String
    public var received: ContentHash

    public init(key: String, received: ContentHash) {
        self.key = key; self.received = received
    }
}

/// A secret that signs attachment links, and when it was made; links name it by `id`.
public struct LinkKey: Sendable, Equatable {
    public var id: String
    public var secret: [UInt8]
    public var createdAt: Date

    public init(id: String, secret: [UInt8], createdAt: Date) {
        self.id = id; self.secret = secret; self.createdAt = createdAt
    }
}

/// How much a user stores, and their own limit.
public struct Usage: Sendable, Equatable {
    /// Bytes of the user's live attachments; a file stored once but attached twice counts twice, so usage never
    /// reveals what others stored.
    public var usedBytes: Int64
    /// The user's own quota; nil when the server's default applies.
    public var quotaBytes: Int64?

    public init(usedBytes: Int64, quotaBytes: Int64?) {
        self.usedBytes = usedBytes; self.quotaBytes = quotaBytes
    }
}

/// A token as an administrator sees it: an id to revoke it by, never the secret.
public struct TokenInfo: Sendable, Equatable {
    public var id: String
    public var user: String
    public var createdAt: Date

    public init(id: String, user: String, createdAt: Date) {
        self.id = id; self.user = user; self.createdAt = createdAt
    }

    /// A token's id: the start of its digest, enough to tell a user's tokens apart, useless to sign in with.
    public static func id(forDigest digest: String) -> String { "tok_" + digest.prefix(16) }
}

extension Catalog {
    /// Deletes an attachment at someone's request (not by retention).
    public func deleteAttachment(_ id: AttachmentID) async throws -> Attachment? {
        try await deleteAttachment(id, reason: .deleted)
    }

    /// Records an attachment without quota or key (thumbnails, tests).
    public func insertAttachment(_ attachment: Attachment, releasing pin: String?) async throws {
        _ = try await insertAttachment(attachment, releasing: pin, quota: nil, key: nil)
    }

    public func insertMessage(id: MessageID, room: RoomID, author: String, text: String,
                              attachments: [AttachmentID], at: Date) async throws -> Message {
        try await insertMessage(id: id, room: room, author: author, text: text, attachments: attachments, at: at, key: nil)
    }
}
