import Foundation
import Synchronization
import TackCore

/// A catalog in front of another that answers the reads every request makes (token to user, room to members, a
/// user's rooms, attachment, thumbnail) from bounded memory, and forgets an entry the moment a change to it is published.
///
/// Everything else, writes included, goes straight to `base`. Correctness rests on two rules: `base` publishes a
/// write's changes before the write returns (so the next request misses the cache), and a value read from `base` is
/// kept only if no change was published while it was being read (so a read racing a write cannot put back what the
/// write replaced).
public final class CachingCatalog: Catalog {
    public let base: any Catalog
    private let state: Mutex<State>

    /// How many entries each of the five caches may hold.
    public init(_ base: any Catalog, entries: Int) {
        self.base = base
        state = Mutex(State(entries: entries))
        base.changes.subscribe { [weak self] change in self?.state.withLock { $0.forget(change) } }
    }

    public var changes: CatalogChanges { base.changes }
    public func catchUp() async throws { try await base.catchUp() }

    /// When the request running in this task caught up with other instances' changes (`withRequestCaughtUp`): for a
    /// second after, its cached reads answer from memory without asking again. A change made elsewhere meanwhile
    /// counts from the next request, as it would had it come a moment later; this request's own writes are
    /// published as they are made, whatever this says.
    @TaskLocal static var requestCaughtUpAt: ContinuousClock.Instant?

    /// Runs `body` (the rest of a request) knowing the catalog caught up no later than `instant`.
    public static func withRequestCaughtUp<T: Sendable>(at instant: ContinuousClock.Instant,
                                                        _ body: () async throws -> T) async throws -> T {
        try await $requestCaughtUpAt.withValue(instant, operation: body)
    }

    /// Catches up unless this request did a moment ago: on PostgreSQL each catch-up is a round trip.
    private func catchUpOncePerRequest() async throws {
        if let caughtUp = Self.requestCaughtUpAt, ContinuousClock.now - caughtUp < .seconds(1) { return }
        try await base.catchUp()
    }

    // Only values found are kept, never "there is none": a write that creates a row (a token, a thumbnail) needs no
    // change of its own, since nothing cached can contradict it.

    /// Entries held now, per cache; for tests and metrics.
    public var counts: (users: Int, rooms: Int, roomLists: Int, attachments: Int, thumbnails: Int) {
        state.withLock { ($0.users.count, $0.rooms.count, $0.roomLists.count, $0.attachments.count, $0.thumbnails.count) }
    }

    /// A user in more rooms than this has their list read each time: the bound counts entries, and so long a list
    /// would weigh as much as many entries.
    static let maxCachedRoomList = 64

    struct ThumbnailKey: Hashable {
        let source: ContentHash
        let size: Int
        let method: String
    }

    struct State {
        /// Bumped by every change: a read that started before it must not fill the cache.
        var generation: UInt64 = 0
        var users: BoundedCache<String, User>
        var rooms: BoundedCache<RoomID, Room>
        /// Each user's rooms, as `GET /v1/rooms` lists them: ids only, each room held once in `rooms` however many
        /// members' lists name it (a room of 5,000 members copied into 5,000 lists would be 25 million names).
        var roomLists: BoundedCache<String, [RoomID]>
        var attachments: BoundedCache<AttachmentID, Attachment>
        var thumbnails: BoundedCache<ThumbnailKey, StoredThumbnail>

        init(entries: Int) {
            users = BoundedCache(capacity: entries)
            rooms = BoundedCache(capacity: entries)
            roomLists = BoundedCache(capacity: entries)
            attachments = BoundedCache(capacity: entries)
            thumbnails = BoundedCache(capacity: entries)
        }

        mutating func forget(_ change: CatalogChange) {
            guard change.changesCachedRows else { return }
            generation &+= 1
            switch change {
            case .user(let name):
                users.removeAll { $1.name == name }
                roomLists.remove(name)
            case .room(let id):
                rooms.remove(id)
                // A room made or its members changed: whoever joined has no trace of it in their list to find it by.
                roomLists.removeAll()
            case .attachment(let id, _):
                attachments.remove(id)
            case .blob(let hash):
                // Attachments carry their image's facts; thumbnails of dropped bytes must not be served.
                attachments.removeAll { $1.sha256 == hash }
                thumbnails.removeAll { key, _ in key.source == hash }
            case .everything:
                users.removeAll()
                rooms.removeAll()
                roomLists.removeAll()
                attachments.removeAll()
                thumbnails.removeAll()
            case .events, .linkKeys:
                break
            }
        }
    }

    private func cached<Key: Hashable & Sendable, Value: Sendable>(
        _ cache: WritableKeyPath<State, BoundedCache<Key, Value>> & Sendable, _ key: Key, load: () async throws -> Value?
    ) async throws -> Value? {
        try await catchUpOncePerRequest()
        let (hit, generation) = state.withLock { state in (state[keyPath: cache].value(for: key), state.generation) }
        if let hit { return hit }
        guard let loaded = try await load() else { return nil }
        state.withLock { state in
            if state.generation == generation { state[keyPath: cache].insert(loaded, for: key) }
        }
        return loaded
    }

    // MARK: Cached reads

    public func user(forTokenDigest digest: String) async throws -> User? {
        try await cached(\.users, digest) { try await base.user(forTokenDigest: digest) }
    }

    public func room(_ id: RoomID) async throws -> Room? {
        try await cached(\.rooms, id) { try await base.room(id) }
    }

    public func rooms(of user: String) async throws -> [Room] {
        try await catchUpOncePerRequest()
        let (ids, generation) = state.withLock { state in (state.roomLists.value(for: user), state.generation) }
        if let ids {
            var rooms: [Room] = []
            for id in ids { if let room = try await room(id) { rooms.append(room) } }
            return rooms
        }
        let rooms = try await base.rooms(of: user)
        state.withLock { state in
            guard state.generation == generation, rooms.count <= Self.maxCachedRoomList else { return }
            state.roomLists.insert(rooms.map(\.id), for: user)
            for room in rooms { state.rooms.insert(room, for: room.id) }
        }
        return rooms
    }

    public func attachment(_ id: AttachmentID) async throws -> Attachment? {
        try await cached(\.attachments, id) { try await base.attachment(id) }
    }

    public func thumbnail(of source: ContentHash, size: Int, method: String) async throws -> StoredThumbnail? {
        try await cached(\.thumbnails, ThumbnailKey(source: source, size: size, method: method)) {
            try await base.thumbnail(of: source, size: size, method: method)
        }
    }

    // MARK: Everything else, straight through

    public func createUser(name: String, role: Role, tokenDigest: String, at: Date) async throws -> User {
        try await base.createUser(name: name, role: role, tokenDigest: tokenDigest, at: at)
    }
    public func addToken(user: String, tokenDigest: String, at: Date) async throws {
        try await base.addToken(user: user, tokenDigest: tokenDigest, at: at)
    }
    public func tokens(of user: String) async throws -> [TokenInfo] { try await base.tokens(of: user) }
    public func revokeToken(id: String) async throws -> Bool { try await base.revokeToken(id: id) }
    public func removeUser(named name: String) async throws -> Bool { try await base.removeUser(named: name) }
    public func usage(of user: String) async throws -> Usage? { try await base.usage(of: user) }
    public func setQuota(of user: String, to bytes: Int64?) async throws { try await base.setQuota(of: user, to: bytes) }
    public func createRoom(_ room: Room) async throws { try await base.createRoom(room) }
    public func addMember(_ user: String, to room: RoomID) async throws { try await base.addMember(user, to: room) }
    public func removeMember(_ user: String, from room: RoomID) async throws -> Bool {
        try await base.removeMember(user, from: room)
    }
    public func pin(_ hash: ContentHash, until: Date) async throws -> String { try await base.pin(hash, until: until) }
    public func releasePin(_ token: String) async throws { try await base.releasePin(token) }
    public func insertAttachment(_ attachment: Attachment, releasing pin: String?, quota: Int64?, key: UploadKey?)
        async throws -> IdempotentUpload?
    {
        try await base.insertAttachment(attachment, releasing: pin, quota: quota, key: key)
    }
    public func attachments(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Attachment> {
        try await base.attachments(in: room, limit: limit, cursor: cursor)
    }
    public func deleteAttachment(_ id: AttachmentID, reason: RemovedAttachment.Reason) async throws -> Attachment? {
        try await base.deleteAttachment(id, reason: reason)
    }
    public func attachmentsPastRetention(defaultDays: Int, at now: Date, limit: Int) async throws -> [Attachment] {
        try await base.attachmentsPastRetention(defaultDays: defaultDays, at: now, limit: limit)
    }
    public func setRetention(of room: RoomID, days: Int?) async throws { try await base.setRetention(of: room, days: days) }
    public func recordRefetch(_ id: AttachmentID, source: LinkSource) async throws {
        try await base.recordRefetch(id, source: source)
    }
    public func latestVersion(of root: AttachmentID) async throws -> Attachment? { try await base.latestVersion(of: root) }
    public func recordImage(_ hash: ContentHash, info: ImageInfo) async throws { try await base.recordImage(hash, info: info) }
    public func recordText(_ hash: ContentHash, _ text: BlobText) async throws { try await base.recordText(hash, text) }
    public func text(of hash: ContentHash) async throws -> BlobText? { try await base.text(of: hash) }
    public func insertThumbnail(_ thumbnail: StoredThumbnail, releasing pin: String?) async throws {
        try await base.insertThumbnail(thumbnail, releasing: pin)
    }
    public func isInUse(_ hash: ContentHash, at now: Date) async throws -> Bool { try await base.isInUse(hash, at: now) }
    public func forgetBlob(_ hash: ContentHash) async throws { try await base.forgetBlob(hash) }
    public func enqueueJob(_ kind: JobKind, subject: String, at now: Date, maxQueued: Int) async throws -> Bool {
        try await base.enqueueJob(kind, subject: subject, at: now, maxQueued: maxQueued)
    }
    public func claimJobs(_ kinds: [JobKind], owner: String, limit: Int, lease: Duration, maxAttempts: Int, at now: Date) async throws -> [Job] {
        try await base.claimJobs(kinds, owner: owner, limit: limit, lease: lease, maxAttempts: maxAttempts, at: now)
    }
    public func finishJob(_ id: Int64, owner: String) async throws -> Bool { try await base.finishJob(id, owner: owner) }
    public func failJob(_ id: Int64, owner: String, error: String, retryAt: Date?) async throws {
        try await base.failJob(id, owner: owner, error: error, retryAt: retryAt)
    }
    public func releaseJobs(owner: String) async throws { try await base.releaseJobs(owner: owner) }
    public func catalogID() async throws -> String { try await base.catalogID() }
    public func linkKeys() async throws -> [LinkKey] { try await base.linkKeys() }
    public func addLinkKey(_ key: LinkKey) async throws { try await base.addLinkKey(key) }
    public func forgetLinkKey(id: String) async throws -> Bool { try await base.forgetLinkKey(id: id) }
    public func isActiveUser(_ name: String) async throws -> Bool { try await base.isActiveUser(name) }
    public func createResumableUpload(_ upload: ResumableUpload) async throws { try await base.createResumableUpload(upload) }
    public func resumableUpload(_ id: UploadID) async throws -> ResumableUpload? { try await base.resumableUpload(id) }
    public func resumableUpload(uploader: String, idempotencyKey: String, at now: Date) async throws -> ResumableUpload? {
        try await base.resumableUpload(uploader: uploader, idempotencyKey: idempotencyKey, at: now)
    }
    public func advanceResumableUpload(_ id: UploadID, from offset: Int64, to newOffset: Int64, length: Int64?,
                                       expiresAt: Date) async throws -> Bool {
        try await base.advanceResumableUpload(id, from: offset, to: newOffset, length: length, expiresAt: expiresAt)
    }
    public func completeResumableUpload(_ id: UploadID, attachment: AttachmentID) async throws {
        try await base.completeResumableUpload(id, attachment: attachment)
    }
    public func deleteResumableUpload(_ id: UploadID) async throws -> Bool { try await base.deleteResumableUpload(id) }
    public func reservedResumableBytes(of user: String, excluding: UploadID?, at now: Date) async throws -> Int64 {
        try await base.reservedResumableBytes(of: user, excluding: excluding, at: now)
    }
    public func resumableUploadsToSweep(at now: Date, limit: Int) async throws -> [ResumableUpload] {
        try await base.resumableUploadsToSweep(at: now, limit: limit)
    }
    public func retryFailedJobs(at now: Date) async throws -> Int { try await base.retryFailedJobs(at: now) }
    public func jobs(limit: Int) async throws -> [Job] { try await base.jobs(limit: limit) }
    public func insertMessage(id: MessageID, room: RoomID, author: String, text: String,
                              attachments: [AttachmentID], at: Date, key: String?) async throws -> Message {
        try await base.insertMessage(id: id, room: room, author: author, text: text, attachments: attachments, at: at, key: key)
    }
    public func messages(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Message> {
        try await base.messages(in: room, limit: limit, cursor: cursor)
    }
    public func message(_ id: MessageID) async throws -> Message? { try await base.message(id) }
    public func searchAttachments(_ filter: AttachmentFilter, limit: Int, cursor: PageCursor?) async throws
        -> Page<Attachment>
    {
        try await base.searchAttachments(filter, limit: limit, cursor: cursor)
    }
    public func summarizeAttachments(_ filter: AttachmentFilter) async throws -> AttachmentCounts {
        try await base.summarizeAttachments(filter)
    }
    public func latestRoomEvent() async throws -> Int64 { try await base.latestRoomEvent() }
    public func roomEvents(in room: RoomID, after seq: Int64, limit: Int) async throws -> RoomEventBatch {
        try await base.roomEvents(in: room, after: seq, limit: limit)
    }
    public func idempotentUpload(user: String, key: String) async throws -> IdempotentUpload? {
        try await base.idempotentUpload(user: user, key: key)
    }
    public func idempotentMessage(user: String, key: String) async throws -> Message? {
        try await base.idempotentMessage(user: user, key: key)
    }
}
