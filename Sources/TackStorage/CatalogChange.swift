import Synchronization
import TackCore

/// What a committed write changed, named so that whoever holds a copy of it (a cache, a live view) knows to let go.
///
/// Changes are explicit events rather than side effects of one process's writes: the SQLite catalog records each in
/// the same transaction as the write, so other processes on the same file (`tackd token revoke`) and later other
/// instances (PostgreSQL's LISTEN/NOTIFY) deliver the same events.
public enum CatalogChange: Sendable, Hashable {
    /// A user's tokens or standing changed: a token revoked, the user removed.
    case user(String)
    /// A room's members changed.
    case room(RoomID)
    /// An attachment was added, removed, or its record changed.
    case attachment(AttachmentID, room: RoomID)
    /// What is known about some bytes changed: image facts recorded, thumbnails added or dropped.
    case blob(ContentHash)
    /// A room has new events (`RoomEvent`) for its live streams; nothing cached changes because of it.
    case events(RoomID)
    /// A key that signs attachment links was added or forgotten.
    case linkKeys
    /// Anything may have changed (changes were missed: pruned before they were read, or unreadable): forget all.
    case everything

    /// Whether rows a cache may hold changed: room events and link keys leave the catalog caches and pages as they are.
    public var changesCachedRows: Bool {
        switch self {
        case .events, .linkKeys: false
        case .user, .room, .attachment, .blob, .everything: true
        }
    }

    /// The change as two strings, for a row in the changes table (and a NOTIFY payload later).
    public var encoded: (kind: String, subject: String) {
        switch self {
        case .user(let name): ("user", name)
        case .room(let id): ("room", id.rawValue)
        case .attachment(let id, let room): ("attachment", "\(id.rawValue) \(room.rawValue)")
        case .blob(let hash): ("blob", hash.hex)
        case .events(let room): ("events", room.rawValue)
        case .linkKeys: ("link_keys", "")
        case .everything: ("everything", "")
        }
    }

    /// The change `encoded` made; nil for kinds a newer tackd wrote that this one does not know.
    public init?(kind: String, subject: String) {
        switch kind {
        case "user": self = .user(subject)
        case "room": self = .room(RoomID(rawValue: subject))
        case "attachment":
            let parts = subject.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            self = .attachment(AttachmentID(rawValue: parts[0]), room: RoomID(rawValue: parts[1]))
        case "blob":
            guard let hash = ContentHash(hex: subject) else { return nil }
            self = .blob(hash)
        case "events": self = .events(RoomID(rawValue: subject))
        case "link_keys": self = .linkKeys
        case "everything": self = .everything
        default: return nil
        }
    }
}

/// Delivers a catalog's changes to whoever subscribed, synchronously and in order, before the write that made them
/// returns: a request that follows a write never sees what the write replaced.
public final class CatalogChanges: Sendable {
    public typealias Handler = @Sendable (CatalogChange) -> Void
    private let handlers = Mutex<(next: Int, byID: [Int: Handler])>((0, [:]))

    public init() {}

    /// Calls `handler` for every change published from now on, until the subscription is cancelled. Handlers run on
    /// the publisher's thread: they must be quick and must not publish.
    @discardableResult
    public func subscribe(_ handler: @escaping Handler) -> Subscription {
        let id = handlers.withLock { handlers in
            defer { handlers.next += 1 }
            handlers.byID[handlers.next] = handler
            return handlers.next
        }
        return Subscription { [weak self] in _ = self?.handlers.withLock { $0.byID.removeValue(forKey: id) } }
    }

    public func publish(_ changes: [CatalogChange]) {
        guard !changes.isEmpty else { return }
        let current = handlers.withLock { $0.byID.sorted { $0.key < $1.key }.map(\.value) }
        for change in changes {
            for handler in current { handler(change) }
        }
    }

    /// Ends a subscription on `cancel()`; the caches subscribe for their lifetime and never do.
    public final class Subscription: Sendable {
        private let end: Mutex<(@Sendable () -> Void)?>

        init(_ end: @escaping @Sendable () -> Void) { self.end = Mutex(end) }

        public func cancel() { end.withLock { end in end?(); end = nil } }
    }
}

/// What one write transaction changed: recorded with it, published once it commits (both catalogs).
final class ChangeLog {
    var changes: [CatalogChange] = []
    var events: [(room: RoomID, kind: RoomEvent.Kind, subject: String)] = []
    func record(_ change: CatalogChange) { changes.append(change) }
    /// Something members' live streams show; recorded in `room_events` with the write.
    func event(_ kind: RoomEvent.Kind, in room: RoomID, subject: String) {
        events.append((room, kind, subject))
        if !changes.contains(.events(room)) { changes.append(.events(room)) }
    }
}

/// Rows of a catalog's changes table read after `seen`, judged: what to publish, and the newest number now seen.
///
/// Numbers have no gaps (both catalogs number changes under their one write lock, in commit order), so a gap means
/// rows were pruned before this process read them, and a row it cannot read names a change it cannot know: either way
/// everything is forgotten, never too little. Changes this process published itself as it wrote them are skipped.
struct RecordedChanges {
    /// What to publish.
    let publish: [CatalogChange]
    /// The newest change number now dealt with.
    let seen: Int64

    /// `rows` (seq, kind, subject, oldest first) read after `seen`, with `last` the newest number handed out; `own`
    /// holds this process's own numbers, and loses those found here.
    init(rows: [(seq: Int64, kind: String, subject: String)], after seen: Int64, last: Int64, own: inout Set<Int64>) {
        // Numbers were handed out but their rows are gone: pruned before this process read them.
        var missed = rows.isEmpty
        var expected = seen + 1
        var others: [CatalogChange?] = []
        for row in rows {
            if row.seq != expected { missed = true }
            expected = row.seq + 1
            if own.remove(row.seq) == nil { others.append(CatalogChange(kind: row.kind, subject: row.subject)) }
        }
        if others.contains(where: { $0 == nil }) { missed = true }
        publish = missed ? [.everything] : others.compactMap { $0 }
        self.seen = rows.isEmpty ? last : expected - 1
    }
}
