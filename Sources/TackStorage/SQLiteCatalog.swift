import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// The embedded default catalog: one SQLite file in WAL mode.
///
/// Writes go through one connection, one transaction at a time; reads use connections of their own (one per core,
/// up to four), so they never see another request's uncommitted rows, never wait behind a write and run side by side.
///
/// Each write records what it changed in `catalog_changes`, in its own transaction, and publishes it on `changes`
/// before returning; `followChanges` publishes what other processes on the same file recorded.
public final class SQLiteCatalog: Catalog {
    private let writer: SQLiteConnection
    private let readers: ConnectionPool
    private let gate = SerialGate()
    private let closed = Mutex(false)
    public let changes = CatalogChanges()
    /// The newest row of `catalog_changes` already published.
    private let changesSeen: Mutex<Int64>
    /// Rows of `catalog_changes` this process wrote (and published as it wrote them), while it follows the table:
    /// the follower skips them rather than forget the same entries twice.
    private let ownChanges = Mutex<(following: Bool, seqs: Set<Int64>)>((false, []))
    private let marker: ChangeMarker?

    /// Opens (creating and migrating if needed) the database at `path`.
    public static func open(path: String, logger: Logger = Logger(label: "tack.catalog")) async throws -> SQLiteCatalog {
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        var readers: [SQLiteConnection] = []
        do {
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000",
                           "PRAGMA foreign_keys=ON"] {
                _ = try await writer.query(pragma)
            }
            try await SQLiteSchema.migrate(writer.sql())
            for _ in 0..<max(1, min(4, System.coreCount)) {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                readers.append(reader)
                _ = try await reader.query("PRAGMA busy_timeout=10000")
                // Pages read through a shared mapping of the file, not copied into each connection's small cache: a
                // search that visits thousands of rows costs a fraction of the time (scripts/bench/browse).
                _ = try await reader.query("PRAGMA mmap_size=268435456")
            }
            // The last number handed out, even when pruning has emptied the table, so the first poll sees no gap.
            let seen = try await writer.sql().raw("""
                SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'catalog_changes'), 0) AS seq
                """).first()?.decode(column: "seq", as: Int64.self) ?? 0
            return SQLiteCatalog(writer: writer, readers: readers, changesSeen: seen, marker: ChangeMarker(path: path + "-changes"))
        } catch {
            for reader in readers { try? await reader.close() }
            try? await writer.close()
            throw error
        }
    }

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], changesSeen: Int64, marker: ChangeMarker?) {
        self.marker = marker
        self.writer = writer
        self.readers = ConnectionPool(readers)
        self.changesSeen = Mutex(changesSeen)
    }

    public func close() async {
        guard closed.withLock({ wasClosed in defer { wasClosed = true }; return !wasClosed }) else { return }
        try? await writer.close()
        for reader in readers.connections { try? await reader.close() }
    }

    deinit {
        // A catalog dropped without `close()` (a failed start-up, a test) still releases its files; the futures keep
        // the connections alive until SQLite has closed them. Never twice: SQLiteNIO crashes closing a closed one.
        if !closed.withLock({ $0 }) {
            _ = writer.close()
            for reader in readers.connections { _ = reader.close() }
        }
    }

    /// One statement through SQLKit on a reader connection of its own.
    private func read(_ query: SQLQueryString) -> PooledQuery { PooledQuery(pool: readers, query: query) }

    /// One statement on a reader connection of its own, answered with SQLiteNIO's rows.
    private func readRows(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        try await readers.with { try await $0.query(sql, binds) }
    }

    /// What one transaction changed: recorded with it, published once it commits.
    private final class ChangeLog {
        var changes: [CatalogChange] = []
        var events: [(room: RoomID, kind: RoomEvent.Kind, subject: String)] = []
        func record(_ change: CatalogChange) { changes.append(change) }
        /// Something members' live streams show; recorded in `room_events` with the write.
        func event(_ kind: RoomEvent.Kind, in room: RoomID, subject: String) {
            events.append((room, kind, subject))
            if !changes.contains(.events(room)) { changes.append(.events(room)) }
        }
    }

    /// Runs `body` in one IMMEDIATE transaction (taking the write lock up front, so two processes never deadlock
    /// upgrading read locks); the changes it logs are recorded in the same transaction and published after COMMIT.
    private func transaction<T: Sendable>(_ body: (any SQLDatabase, ChangeLog) async throws -> T) async throws -> T {
        let log = ChangeLog()
        let result = try await gate.run {
            let db = writer.sql()
            try await db.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(db, log)
                let now = Date().millis
                for event in log.events {
                    try await db.raw("""
                        INSERT INTO room_events (room_id, kind, subject, at)
                        VALUES (\(bind: event.room.rawValue), \(bind: event.kind.rawValue), \(bind: event.subject), \(bind: now))
                        """).run()
                }
                var seqs: [Int64] = []
                for change in log.changes {
                    let (kind, subject) = change.encoded
                    if let row = try await db.raw("""
                        INSERT INTO catalog_changes (kind, subject, at) VALUES (\(bind: kind), \(bind: subject), \(bind: now))
                        RETURNING seq
                        """).first() {
                        seqs.append(try row.decode(column: "seq", as: Int64.self))
                    }
                }
                ownChanges.withLock { own in if own.following { own.seqs.formUnion(seqs) } }
                if let newest = seqs.max() { marker?.record(newest) }
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
        changes.publish(log.changes)
        return result
    }

    /// Publishes, every `interval`, the changes other processes recorded (an admin command revoking a token, another
    /// tackd on the same file), and forgets recorded changes older than `keep`. Runs until cancelled.
    /// Room events older than `keepEvents` are forgotten with them.
    public func followChanges(every interval: Duration, keep: Duration = .seconds(600),
                              keepEvents: Duration = .seconds(86_400)) async {
        ownChanges.withLock { $0.following = true }
        defer { ownChanges.withLock { $0 = (false, []) } }
        var lastPrune = ContinuousClock.now
        while !Task.isCancelled && !closed.withLock({ $0 }) {
            try? await Task.sleep(for: interval)
            try? await publishRecordedChanges()
            if ContinuousClock.now - lastPrune > keep {
                lastPrune = ContinuousClock.now
                let cutoff = Date().addingTimeInterval(-Double(keep.components.seconds)).millis
                let eventCutoff = Date().addingTimeInterval(-Double(keepEvents.components.seconds)).millis
                _ = try? await transaction { db, _ in
                    try await db.raw("DELETE FROM catalog_changes WHERE at < \(bind: cutoff)").run()
                    try await db.raw("DELETE FROM room_events WHERE at < \(bind: eventCutoff)").run()
                }
            }
        }
    }

    public func catchUp() async throws {
        guard let marker, marker.value > changesSeen.withLock({ $0 }) else { return }
        try await publishRecordedChanges()
    }

    /// Publishes the changes other processes recorded since the last call.
    ///
    /// Sequence numbers have no gaps (every write holds SQLite's one write lock while it takes its number and commits
    /// in that order), so a gap means rows were pruned before this process read them, and a row it cannot read
    /// names a change it cannot know: either way everything is forgotten, never too little.
    func publishRecordedChanges() async throws {
        let seen = changesSeen.withLock { $0 }
        let last = try await readRows(
            "SELECT seq FROM sqlite_sequence WHERE name = 'catalog_changes'", []).first.map { try SQLiteColumns($0).int64("seq") } ?? 0
        guard last > seen else { return }
        let rows = try await readRows(
            "SELECT seq, kind, subject FROM catalog_changes WHERE seq > ? ORDER BY seq LIMIT 10000", [.integer(Int(seen))])
        // Numbers were handed out but their rows are gone: pruned before this process read them.
        var missed = rows.isEmpty
        var expected = seen + 1
        var recorded: [(seq: Int64, change: CatalogChange?)] = []
        for row in rows {
            let columns = SQLiteColumns(row)
            let seq = try columns.int64("seq")
            if seq != expected { missed = true }
            expected = seq + 1
            recorded.append((seq, CatalogChange(kind: columns.optionalText("kind") ?? "",
                                                subject: columns.optionalText("subject") ?? "")))
        }
        let others = ownChanges.withLock { own in recorded.filter { own.seqs.remove($0.seq) == nil } }
        if others.contains(where: { $0.change == nil }) { missed = true }
        changes.publish(missed ? [.everything] : others.compactMap(\.change))
        if rows.isEmpty { expected = last + 1 }
        changesSeen.withLock { $0 = max($0, expected - 1) }
    }

    // MARK: Users and tokens

    public func createUser(name: String, role: Role, tokenDigest: String, at date: Date) async throws -> User {
        try await transaction { db, _ in
            if try await db.raw("SELECT name FROM users WHERE name = \(bind: name)").first() != nil {
                throw TackError(.userExists, "a user named '\(name)' exists already")
            }
            try await db.raw("INSERT INTO users (name, role, created_at) VALUES (\(bind: name), \(bind: role.rawValue), \(bind: date.millis))").run()
            try await db.raw("INSERT INTO tokens (digest, user_name, created_at) VALUES (\(bind: tokenDigest), \(bind: name), \(bind: date.millis))").run()
            return User(name: name, role: role, createdAt: Date(millis: date.millis))
        }
    }

    public func addToken(user: String, tokenDigest: String, at date: Date) async throws {
        try await transaction { db, _ in
            guard try await db.raw("SELECT name FROM users WHERE name = \(bind: user) AND removed_at IS NULL").first() != nil else {
                throw TackError.notFound("user '\(user)'")
            }
            try await db.raw("INSERT INTO tokens (digest, user_name, created_at) VALUES (\(bind: tokenDigest), \(bind: user), \(bind: date.millis))").run()
        }
    }

    public func user(forTokenDigest digest: String) async throws -> User? {
        try await read("""
            SELECT u.name, u.role, u.created_at FROM tokens t JOIN users u ON u.name = t.user_name
            WHERE t.digest = \(bind: digest) AND u.removed_at IS NULL
            """).first().map(Self.user)
    }

    public func tokens(of user: String) async throws -> [TokenInfo] {
        try await read("SELECT digest, user_name, created_at FROM tokens WHERE user_name = \(bind: user) ORDER BY created_at, digest")
            .all().map { row in
                TokenInfo(id: TokenInfo.id(forDigest: try row.decode(column: "digest", as: String.self)),
                          user: try row.decode(column: "user_name", as: String.self),
                          createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
            }
    }

    public func revokeToken(id: String) async throws -> Bool {
        let prefix = id.hasPrefix("tok_") ? String(id.dropFirst(4)) : id
        // Ids are 16 hex digits; anything else names no token (and must not match a digest by a shorter prefix).
        guard prefix.count == 16, prefix.allSatisfy(\.isHexDigit) else { return false }
        return try await transaction { db, log in
            let rows = try await db.raw("SELECT digest, user_name FROM tokens WHERE substr(digest, 1, 16) = \(bind: prefix.lowercased())").all()
            guard rows.count == 1 else { return false }
            log.record(.user(try rows[0].decode(column: "user_name", as: String.self)))
            try await db.raw("DELETE FROM tokens WHERE substr(digest, 1, 16) = \(bind: prefix.lowercased())").run()
            return true
        }
    }

    public func removeUser(named name: String) async throws -> Bool {
        try await transaction { db, log in
            guard try await db.raw("SELECT name FROM users WHERE name = \(bind: name) AND removed_at IS NULL").first() != nil else {
                return false
            }
            try await db.raw("DELETE FROM tokens WHERE user_name = \(bind: name)").run()
            try await db.raw("UPDATE users SET removed_at = \(bind: Date().millis) WHERE name = \(bind: name)").run()
            log.record(.user(name))
            return true
        }
    }

    public func usage(of user: String) async throws -> Usage? {
        guard let row = try await read("SELECT used_bytes, quota_bytes FROM users WHERE name = \(bind: user)").first() else {
            return nil
        }
        return Usage(usedBytes: try row.decode(column: "used_bytes", as: Int64.self),
                     quotaBytes: try row.decode(column: "quota_bytes", as: Int64?.self))
    }

    public func setQuota(of user: String, to bytes: Int64?) async throws {
        try await transaction { db, _ in
            guard try await db.raw("SELECT name FROM users WHERE name = \(bind: user) AND removed_at IS NULL").first() != nil else {
                throw TackError.notFound("user '\(user)'")
            }
            try await db.raw("UPDATE users SET quota_bytes = \(bind: bytes) WHERE name = \(bind: user)").run()
        }
    }

    public func user(named name: String) async throws -> User? {
        try await read("SELECT name, role, created_at FROM users WHERE name = \(bind: name) AND removed_at IS NULL")
            .first().map(Self.user)
    }

    private static func user(_ row: any SQLRow) throws -> User {
        let roleText = try row.decode(column: "role", as: String.self)
        guard let role = Role(rawValue: roleText) else {
            throw TackError(.corruptCatalog, "user row has unknown role '\(roleText)'")
        }
        return User(name: try row.decode(column: "name", as: String.self), role: role,
                    createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
    }

    // MARK: Rooms

    public func createRoom(_ room: Room) async throws {
        try await transaction { db, log in
            log.record(.room(room.id))
            try await db.raw("""
                INSERT INTO rooms (id, name, creator, created_at)
                VALUES (\(bind: room.id.rawValue), \(bind: room.name), \(bind: room.creator), \(bind: room.createdAt.millis))
                """).run()
            for member in Set(room.members + [room.creator]) {
                try await Self.insertMember(member, room: room.id, db: db)
            }
        }
    }

    private static func insertMember(_ user: String, room: RoomID, db: any SQLDatabase) async throws {
        guard try await db.raw("SELECT name FROM users WHERE name = \(bind: user) AND removed_at IS NULL").first() != nil else {
            throw TackError.invalid(.unknownUser, "there is no user named '\(user)'")
        }
        try await db.raw("INSERT OR IGNORE INTO room_members (room_id, user_name) VALUES (\(bind: room.rawValue), \(bind: user))").run()
    }

    /// Rooms with their members in one query (user names never hold a newline), instead of one query per room.
    private static let selectRooms = """
        SELECT r.id, r.name, r.creator, r.created_at,
               (SELECT group_concat(user_name, char(10)) FROM room_members WHERE room_id = r.id) AS members
        FROM rooms r
        """

    public func room(_ id: RoomID) async throws -> Room? {
        try await readRows("\(Self.selectRooms) WHERE r.id = ?", [.text(id.rawValue)])
            .first.map { try Self.room(SQLiteColumns($0)) }
    }

    public func rooms(of user: String) async throws -> [Room] {
        try await readRows("""
            \(Self.selectRooms) JOIN room_members m ON m.room_id = r.id WHERE m.user_name = ? ORDER BY r.seq DESC
            """, [.text(user)]).map { try Self.room(SQLiteColumns($0)) }
    }

    private static func room(_ row: SQLiteColumns) throws -> Room {
        let members = row.optionalText("members")?.split(separator: "\n").map(String.init).sorted() ?? []
        return Room(id: RoomID(rawValue: try row.text("id")), name: try row.text("name"), creator: try row.text("creator"),
                    members: members, createdAt: Date(millis: try row.int64("created_at")))
    }

    public func addMember(_ user: String, to room: RoomID) async throws {
        try await transaction { db, log in
            let present = try await db.raw("""
                SELECT user_name FROM room_members WHERE room_id = \(bind: room.rawValue) AND user_name = \(bind: user)
                """).first() != nil
            try await Self.insertMember(user, room: room, db: db)
            log.record(.room(room))
            if !present { log.event(.memberAdded, in: room, subject: user) }
        }
    }

    public func removeMember(_ user: String, from room: RoomID) async throws -> Bool {
        try await transaction { db, log in
            log.record(.room(room))
            let present = try await db.raw("SELECT user_name FROM room_members WHERE room_id = \(bind: room.rawValue) AND user_name = \(bind: user)").first() != nil
            try await db.raw("DELETE FROM room_members WHERE room_id = \(bind: room.rawValue) AND user_name = \(bind: user)").run()
            if present { log.event(.memberRemoved, in: room, subject: user) }
            return present
        }
    }

    // MARK: Blobs and pins

    public func pin(_ hash: ContentHash, until: Date) async throws -> String {
        let token = Identifier<PinKind>.make().rawValue
        try await transaction { db, _ in
            try await db.raw("INSERT INTO pins (token, sha256, until) VALUES (\(bind: token), \(bind: hash.hex), \(bind: until.millis))").run()
        }
        return token
    }

    public func releasePin(_ token: String) async throws {
        try await transaction { db, _ in try await db.raw("DELETE FROM pins WHERE token = \(bind: token)").run() }
    }

    public func idempotentUpload(user: String, key: String) async throws -> IdempotentUpload? {
        guard let row = try await read("""
            SELECT attachment_id, received_sha256 FROM upload_keys WHERE user_name = \(bind: user) AND key = \(bind: key)
            """).first() else { return nil }
        let id = try row.decode(column: "attachment_id", as: String.self)
        guard let received = ContentHash(hex: try row.decode(column: "received_sha256", as: String.self)) else { return nil }
        return IdempotentUpload(attachment: AttachmentID(rawValue: id), received: received)
    }

    public func idempotentMessage(user: String, key: String) async throws -> Message? {
        guard let row = try await read("""
            SELECT m.id, m.room_id, m.author, m.text, m.created_at FROM message_keys k JOIN messages m ON m.id = k.message_id
            WHERE k.user_name = \(bind: user) AND k.key = \(bind: key)
            """).first() else { return nil }
        var message = try Self.message(row)
        message.attachments = try await attachments(ofMessage: message.id)
        return message
    }

    public func isPinned(_ hash: ContentHash, at now: Date) async throws -> Bool {
        try await read("SELECT token FROM pins WHERE sha256 = \(bind: hash.hex) AND until > \(bind: now.millis) LIMIT 1").first() != nil
    }

    public func references(to hash: ContentHash) async throws -> Int {
        try await read("SELECT refs FROM blobs WHERE sha256 = \(bind: hash.hex)").first()?
            .decode(column: "refs", as: Int.self) ?? 0
    }

    public func isInUse(_ hash: ContentHash, at now: Date) async throws -> Bool {
        let row = try await read("""
            SELECT COALESCE((SELECT refs FROM blobs WHERE sha256 = \(bind: hash.hex)), 0) AS refs,
                   EXISTS(SELECT 1 FROM pins WHERE sha256 = \(bind: hash.hex) AND until > \(bind: now.millis)) AS pinned
            """).first()
        guard let row else { return false }
        return try row.decode(column: "refs", as: Int.self) > 0 || row.decode(column: "pinned", as: Bool.self)
    }

    public func forgetBlob(_ hash: ContentHash) async throws {
        try await transaction { db, _ in
            try await db.raw("DELETE FROM blobs WHERE sha256 = \(bind: hash.hex) AND refs <= 0").run()
            try await db.raw("DELETE FROM pins WHERE sha256 = \(bind: hash.hex) AND until <= \(bind: Date().millis)").run()
        }
    }

    // MARK: Attachments

    public func insertAttachment(_ a: Attachment, releasing pin: String?, quota: Int64?, key: UploadKey?) async throws
        -> IdempotentUpload?
    {
        try await transaction { db, log in
            if let pin {
                try await db.raw("DELETE FROM pins WHERE token = \(bind: pin)").run()
            }
            if let key, let earlier = try await Self.upload(keyed: key.key, by: a.uploader, db: db) {
                // Rolling back would keep the pin; the caller discards its staged copy and answers with the earlier one.
                return earlier
            }
            if let quota {
                let charged = try await db.raw("""
                    UPDATE users SET used_bytes = used_bytes + \(bind: a.size)
                    WHERE name = \(bind: a.uploader) AND used_bytes + \(bind: a.size) <= \(bind: quota)
                    RETURNING used_bytes
                    """).first()
                guard charged != nil else {
                    let used = try await db.raw("SELECT used_bytes FROM users WHERE name = \(bind: a.uploader)").first()?
                        .decode(column: "used_bytes", as: Int64.self) ?? 0
                    throw TackError(.quotaExceeded, "this \(a.size)-byte file would take you past your quota: \(used) of \(quota) bytes are used; delete attachments or ask an administrator for more")
                }
            } else {
                try await db.raw("UPDATE users SET used_bytes = used_bytes + \(bind: a.size) WHERE name = \(bind: a.uploader)").run()
            }
            try await db.raw("""
                INSERT INTO blobs (sha256, size, refs) VALUES (\(bind: a.sha256.hex), \(bind: a.size), 1)
                ON CONFLICT(sha256) DO UPDATE SET refs = refs + 1
                """).run()
            let seq = try await db.raw("""
                INSERT INTO attachments (id, room_id, name, size, content_type, sha256, uploader, created_at,
                                         source_provider, source_url, fetched_at, etag, last_modified, version_of,
                                         metadata_stripped, media, ext, screenshot, linked)
                VALUES (\(bind: a.id.rawValue), \(bind: a.room.rawValue), \(bind: a.name), \(bind: a.size),
                        \(bind: a.contentType), \(bind: a.sha256.hex), \(bind: a.uploader), \(bind: a.createdAt.millis),
                        \(bind: a.source?.provider), \(bind: a.source?.url), \(bind: a.source?.fetchedAt.millis),
                        \(bind: a.source?.etag), \(bind: a.source?.lastModified), \(bind: a.versionOf?.rawValue),
                        \(bind: a.metadataStripped ? 1 : 0), \(bind: a.media.rawValue),
                        \(bind: AttachmentType.fileExtension(of: a.name)), \(bind: a.isScreenshot ? 1 : 0),
                        \(bind: a.source == nil ? 0 : 1))
                RETURNING seq
                """).first()?.decode(column: "seq", as: Int64.self)
            try await db.raw("INSERT INTO attachment_text (rowid, name, text) VALUES (\(bind: seq), \(bind: a.name), '')").run()
            try await db.raw("""
                INSERT INTO room_type_counts (room_id, media, screenshot, linked, count, bytes)
                VALUES (\(bind: a.room.rawValue), \(bind: a.media.rawValue), \(bind: a.isScreenshot ? 1 : 0),
                        \(bind: a.source == nil ? 0 : 1), 1, \(bind: a.size))
                ON CONFLICT DO UPDATE SET count = count + 1, bytes = bytes + excluded.bytes
                """).run()
            log.event(.attachmentCreated, in: a.room, subject: a.id.rawValue)
            if let key {
                try await db.raw("""
                    INSERT INTO upload_keys (user_name, key, attachment_id, received_sha256, created_at)
                    VALUES (\(bind: a.uploader), \(bind: key.key), \(bind: a.id.rawValue), \(bind: key.received.hex), \(bind: a.createdAt.millis))
                    """).run()
            }
            log.record(.attachment(a.id, room: a.room))
            return nil
        }
    }

    private static func upload(keyed key: String, by user: String, db: any SQLDatabase) async throws -> IdempotentUpload? {
        guard let row = try await db.raw("""
            SELECT attachment_id, received_sha256 FROM upload_keys WHERE user_name = \(bind: user) AND key = \(bind: key)
            """).first() else { return nil }
        let id = try row.decode(column: "attachment_id", as: String.self)
        let hex = try row.decode(column: "received_sha256", as: String.self)
        guard let received = ContentHash(hex: hex) else {
            throw TackError(.corruptCatalog, "upload key row has a malformed sha256 '\(hex)'")
        }
        return IdempotentUpload(attachment: AttachmentID(rawValue: id), received: received)
    }

    /// Every attachment query selects these, with what thumbnailing learned joined in (one lookup by primary key per
    /// row, where four correlated subqueries used to be).
    private static let attachmentColumns = """
        a.seq, a.id, a.room_id, a.name, a.size, a.content_type, a.sha256, a.uploader, a.created_at,
        a.source_provider, a.source_url, a.fetched_at, a.etag, a.last_modified, a.version_of, a.metadata_stripped,
        a.screenshot, i.sha256 IS NOT NULL AS has_image, i.width AS image_width, i.height AS image_height, i.failure AS image_failure
        """
    private static let selectAttachments =
        "SELECT \(attachmentColumns) FROM attachments a LEFT JOIN images i ON i.sha256 = a.sha256"

    /// Attachments read through SQLiteNIO's rows rather than SQLKit's (see `SQLiteColumns`), on `connection`: a
    /// reader, or the writer inside a transaction.
    private static func attachments(
        on connection: SQLiteConnection, _ clause: String, _ binds: [SQLiteData]
    ) async throws -> [(seq: Int64, attachment: Attachment)] {
        try await connection.query("\(selectAttachments) \(clause)", binds).map { row in
            let columns = SQLiteColumns(row)
            return (try columns.int64("seq"), try attachment(columns))
        }
    }

    public func attachment(_ id: AttachmentID) async throws -> Attachment? {
        try await readers.with { try await Self.attachments(on: $0, "WHERE a.id = ?", [.text(id.rawValue)]) }.first?.attachment
    }

    public func attachments(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Attachment> {
        let rows = try await readers.with {
            try await Self.attachments(
                on: $0, "WHERE a.room_id = ? AND a.seq < ? ORDER BY a.seq DESC LIMIT ?",
                [.text(room.rawValue), .integer(Int(cursor?.before ?? Int64.max)), .integer(limit + 1)])
        }
        let kept = rows.prefix(limit)
        let next = rows.count > limit ? kept.last.map { PageCursor(before: $0.seq) } : nil
        return Page(items: kept.map(\.attachment), next: next)
    }

    public func recordRefetch(_ id: AttachmentID, source: LinkSource) async throws {
        try await transaction { db, log in
            let updated = try await db.raw("""
                UPDATE attachments SET fetched_at = \(bind: source.fetchedAt.millis), etag = \(bind: source.etag),
                       last_modified = \(bind: source.lastModified)
                WHERE id = \(bind: id.rawValue) AND source_url IS NOT NULL
                RETURNING room_id
                """).first()
            if let room = try updated?.decode(column: "room_id", as: String.self) {
                log.record(.attachment(id, room: RoomID(rawValue: room)))
            }
        }
    }

    public func recordImage(_ hash: ContentHash, info: ImageInfo) async throws {
        try await transaction { db, log in
            log.record(.blob(hash))
            let before = try await db.raw("SELECT width, height, failure FROM images WHERE sha256 = \(bind: hash.hex)").first()
            let known = try before.map { row in
                ImageInfo(width: try row.decode(column: "width", as: Int?.self), height: try row.decode(column: "height", as: Int?.self),
                          failure: try row.decode(column: "failure", as: String?.self))
            }
            if known != info {
                for row in try await db.raw("SELECT id, room_id FROM attachments WHERE sha256 = \(bind: hash.hex)").all() {
                    log.event(.attachmentThumbnailed, in: RoomID(rawValue: try row.decode(column: "room_id", as: String.self)),
                              subject: try row.decode(column: "id", as: String.self))
                }
            }
            try await db.raw("""
                INSERT INTO images (sha256, width, height, failure) VALUES
                  (\(bind: hash.hex), \(bind: info.width), \(bind: info.height), \(bind: info.failure))
                ON CONFLICT(sha256) DO UPDATE SET width = excluded.width, height = excluded.height, failure = excluded.failure
                """).run()
        }
    }

    public func thumbnail(of source: ContentHash, size: Int, method: String) async throws -> StoredThumbnail? {
        guard let row = try await read("""
            SELECT blob_sha256, content_type, width, height FROM thumbnails
            WHERE source_sha256 = \(bind: source.hex) AND size = \(bind: size) AND method = \(bind: method)
            """).first(),
              let blob = ContentHash(hex: try row.decode(column: "blob_sha256", as: String.self))
        else { return nil }
        return StoredThumbnail(source: source, size: size, method: method, blob: blob,
                               contentType: try row.decode(column: "content_type", as: String.self),
                               width: try row.decode(column: "width", as: Int.self),
                               height: try row.decode(column: "height", as: Int.self))
    }

    public func insertThumbnail(_ t: StoredThumbnail, releasing pin: String?) async throws {
        try await transaction { db, _ in
            let existing = try await db.raw("""
                SELECT blob_sha256 FROM thumbnails
                WHERE source_sha256 = \(bind: t.source.hex) AND size = \(bind: t.size) AND method = \(bind: t.method)
                """).first()
            if existing == nil {
                try await db.raw("""
                    INSERT INTO thumbnails (source_sha256, size, method, blob_sha256, content_type, width, height)
                    VALUES (\(bind: t.source.hex), \(bind: t.size), \(bind: t.method), \(bind: t.blob.hex),
                            \(bind: t.contentType), \(bind: t.width), \(bind: t.height))
                    """).run()
                try await db.raw("""
                    INSERT INTO blobs (sha256, size, refs) VALUES (\(bind: t.blob.hex), 0, 1)
                    ON CONFLICT(sha256) DO UPDATE SET refs = refs + 1
                    """).run()
            }
            if let pin { try await db.raw("DELETE FROM pins WHERE token = \(bind: pin)").run() }
        }
    }

    public func latestVersion(of root: AttachmentID) async throws -> Attachment? {
        try await readers.with {
            try await Self.attachments(
                on: $0, "WHERE a.id = ? OR a.version_of = ? ORDER BY a.seq DESC LIMIT 1",
                [.text(root.rawValue), .text(root.rawValue)])
        }.first?.attachment
    }

    public func deleteAttachment(_ id: AttachmentID) async throws -> Attachment? {
        try await transaction { db, log in
            guard let (seq, attachment) = try await Self.attachments(on: writer, "WHERE a.id = ?", [.text(id.rawValue)]).first
            else { return nil }
            log.record(.attachment(attachment.id, room: attachment.room))
            log.event(.attachmentDeleted, in: attachment.room, subject: attachment.id.rawValue)
            try await db.raw("DELETE FROM attachment_text WHERE rowid = \(bind: seq)").run()
            // The counts by type go down by what the row itself recorded.
            try await db.raw("""
                UPDATE room_type_counts SET count = count - 1, bytes = bytes - \(bind: attachment.size)
                WHERE (room_id, media, screenshot, linked) =
                      (SELECT room_id, media, screenshot, linked FROM attachments WHERE seq = \(bind: seq))
                """).run()
            try await db.raw("DELETE FROM message_attachments WHERE attachment_id = \(bind: id.rawValue)").run()
            try await db.raw("DELETE FROM attachments WHERE id = \(bind: id.rawValue)").run()
            try await db.raw("""
                UPDATE users SET used_bytes = max(0, used_bytes - \(bind: attachment.size)) WHERE name = \(bind: attachment.uploader)
                """).run()
            try await db.raw("UPDATE blobs SET refs = refs - 1 WHERE sha256 = \(bind: attachment.sha256.hex)").run()
            let left = try await db.raw("SELECT refs FROM blobs WHERE sha256 = \(bind: attachment.sha256.hex)").first()?
                .decode(column: "refs", as: Int.self) ?? 0
            if left <= 0 {
                // The last use of these bytes is gone: so are their thumbnails, for the collector to reclaim.
                try await db.raw("""
                    UPDATE blobs SET refs = refs - 1 WHERE sha256 IN
                      (SELECT blob_sha256 FROM thumbnails WHERE source_sha256 = \(bind: attachment.sha256.hex))
                    """).run()
                try await db.raw("DELETE FROM thumbnails WHERE source_sha256 = \(bind: attachment.sha256.hex)").run()
                try await db.raw("DELETE FROM images WHERE sha256 = \(bind: attachment.sha256.hex)").run()
                log.record(.blob(attachment.sha256))
            }
            return attachment
        }
    }

    private static func attachment(_ row: SQLiteColumns) throws -> Attachment {
        let hex = try row.text("sha256")
        guard let hash = ContentHash(hex: hex) else {
            throw TackError(.corruptCatalog, "attachment row has a malformed sha256 '\(hex)'")
        }
        var attachment = Attachment(
            id: AttachmentID(rawValue: try row.text("id")),
            room: RoomID(rawValue: try row.text("room_id")),
            name: try row.text("name"),
            size: try row.int64("size"),
            contentType: try row.text("content_type"),
            sha256: hash,
            uploader: try row.text("uploader"),
            createdAt: Date(millis: try row.int64("created_at")),
            source: row.optionalText("source_url").map { url in
                LinkSource(provider: row.optionalText("source_provider") ?? "https", url: url,
                           fetchedAt: Date(millis: Int64(row.optionalInt("fetched_at") ?? 0)),
                           etag: row.optionalText("etag"),
                           lastModified: row.optionalText("last_modified"))
            },
            versionOf: row.optionalText("version_of").map { AttachmentID(rawValue: $0) },
            image: try row.int64("has_image") == 0 ? nil : ImageInfo(
                width: row.optionalInt("image_width"),
                height: row.optionalInt("image_height"),
                failure: row.optionalText("image_failure")))
        attachment.metadataStripped = try row.int64("metadata_stripped") != 0
        attachment.isScreenshot = try row.int64("screenshot") != 0
        return attachment
    }

    // MARK: Search

    public func searchAttachments(_ filter: AttachmentFilter, limit: Int, cursor: PageCursor?) async throws
        -> Page<Attachment>
    {
        guard let (sql, binds) = SQLiteSearch(filter).page(
            columns: Self.attachmentColumns, limit: limit + 1, before: cursor?.before ?? Int64.max)
        else { return Page(items: [], next: nil) }
        let rows = try await readRows(sql, binds).map { row in
            let columns = SQLiteColumns(row)
            return (seq: try columns.int64("seq"), attachment: try Self.attachment(columns))
        }
        let kept = rows.prefix(limit)
        let next = rows.count > limit ? kept.last.map { PageCursor(before: $0.seq) } : nil
        return Page(items: kept.map(\.attachment), next: next)
    }

    public func summarizeAttachments(_ filter: AttachmentFilter) async throws -> AttachmentCounts {
        var summary = AttachmentCounts()
        guard let (sql, binds) = SQLiteSearch(filter).summary() else { return summary }
        let rows = try await readRows(sql, binds)
        for row in rows {
            let columns = SQLiteColumns(row)
            let count = Int(try columns.int64("count"))
            let bytes = try columns.int64("bytes")
            summary.total.add(count: count, bytes: bytes)
            summary.byType[AttachmentType(rawValue: try columns.text("media")) ?? .other, default: .init()]
                .add(count: count, bytes: bytes)
            if try columns.int64("linked") != 0 { summary.byType[.link, default: .init()].add(count: count, bytes: bytes) }
            if try columns.int64("screenshot") != 0 {
                summary.byType[.screenshot, default: .init()].add(count: count, bytes: bytes)
            }
        }
        return summary
    }

    // MARK: Room events

    public func latestRoomEvent() async throws -> Int64 {
        try await readRows("SELECT seq FROM sqlite_sequence WHERE name = 'room_events'", [])
            .first.map { try SQLiteColumns($0).int64("seq") } ?? 0
    }

    public func roomEvents(in room: RoomID, after seq: Int64, limit: Int) async throws -> RoomEventBatch {
        try await readers.with { connection in
            // One statement each, on one connection, but the oldest kept event is only ever pruned forward: if it is
            // past `seq` + 1 when read after the events, some were forgotten whichever order the two reads saw.
            let rows = try await connection.query("""
                SELECT seq, room_id, kind, subject, at FROM room_events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?
                """, [.text(room.rawValue), .integer(Int(seq)), .integer(limit)])
            let oldest = try await connection.query("""
                SELECT COALESCE((SELECT MIN(seq) FROM room_events),
                                (SELECT seq + 1 FROM sqlite_sequence WHERE name = 'room_events'), 1) AS oldest
                """, []).first.map { try SQLiteColumns($0).int64("oldest") } ?? 1
            let events = try rows.compactMap { row -> RoomEvent? in
                let columns = SQLiteColumns(row)
                // A kind a newer tackd wrote is skipped, not an error.
                guard let kind = RoomEvent.Kind(rawValue: try columns.text("kind")) else { return nil }
                return RoomEvent(seq: try columns.int64("seq"), room: RoomID(rawValue: try columns.text("room_id")),
                                 kind: kind, subject: try columns.text("subject"),
                                 at: Date(millis: try columns.int64("at")))
            }
            return RoomEventBatch(events: events, missedSome: seq + 1 < oldest)
        }
    }

    private static func page<T>(_ rows: [any SQLRow], limit: Int, _ make: (any SQLRow) throws -> T) throws -> Page<T> {
        let kept = rows.prefix(limit)
        let next: PageCursor?
        if rows.count > limit, let last = kept.last {
            next = PageCursor(before: try last.decode(column: "seq", as: Int64.self))
        } else {
            next = nil
        }
        return Page(items: try kept.map(make), next: next)
    }

    // MARK: Messages

    public func insertMessage(id: MessageID, room: RoomID, author: String, text: String,
                              attachments ids: [AttachmentID], at date: Date, key: String?) async throws -> Message {
        let earlier: MessageID? = try await transaction { db, log in
            if let key, let row = try await db.raw("""
                SELECT message_id FROM message_keys WHERE user_name = \(bind: author) AND key = \(bind: key)
                """).first() {
                return MessageID(rawValue: try row.decode(column: "message_id", as: String.self))
            }
            var attachments: [(seq: Int64, attachment: Attachment)] = []
            for attachmentID in ids {
                guard let found = try await Self.attachments(on: writer, "WHERE a.id = ?", [.text(attachmentID.rawValue)])
                    .first, found.attachment.room == room
                else {
                    throw TackError.invalid(.foreignAttachment, "attachment '\(attachmentID)' is not in this room")
                }
                if !attachments.contains(where: { $0.seq == found.seq }) { attachments.append(found) }
            }
            try await db.raw("""
                INSERT INTO messages (id, room_id, author, text, created_at)
                VALUES (\(bind: id.rawValue), \(bind: room.rawValue), \(bind: author), \(bind: text), \(bind: date.millis))
                """).run()
            for (position, (seq, attachment)) in attachments.enumerated() {
                try await db.raw("""
                    INSERT OR IGNORE INTO message_attachments (message_id, attachment_id, position)
                    VALUES (\(bind: id.rawValue), \(bind: attachment.id.rawValue), \(bind: position))
                    """).run()
                // The message's words find the files it carries.
                try await db.raw("""
                    UPDATE attachment_text SET text = CASE WHEN text = '' THEN \(bind: text) ELSE text || char(10) || \(bind: text) END
                    WHERE rowid = \(bind: seq)
                    """).run()
            }
            log.event(.messageCreated, in: room, subject: id.rawValue)
            if let key {
                try await db.raw("""
                    INSERT INTO message_keys (user_name, key, message_id, created_at)
                    VALUES (\(bind: author), \(bind: key), \(bind: id.rawValue), \(bind: date.millis))
                    """).run()
            }
            return nil
        }
        guard let message = try await message(earlier ?? id) else {
            throw TackError(.corruptCatalog, "message \(earlier ?? id) was recorded but cannot be read back")
        }
        return message
    }

    public func message(_ id: MessageID) async throws -> Message? {
        guard let row = try await read("""
            SELECT id, room_id, author, text, created_at FROM messages WHERE id = \(bind: id.rawValue)
            """).first() else { return nil }
        var message = try Self.message(row)
        message.attachments = try await attachments(ofMessage: message.id)
        return message
    }

    public func messages(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Message> {
        let before = cursor?.before ?? Int64.max
        let rows = try await read("""
            SELECT seq, id, room_id, author, text, created_at FROM messages
            WHERE room_id = \(bind: room.rawValue) AND seq < \(bind: before) ORDER BY seq DESC LIMIT \(bind: limit + 1)
            """).all()
        let page = try Self.page(rows, limit: limit, Self.message)
        var messages: [Message] = []
        for var message in page.items {
            message.attachments = try await attachments(ofMessage: message.id)
            messages.append(message)
        }
        return Page(items: messages, next: page.next)
    }

    /// A message row without its attachments.
    private static func message(_ row: any SQLRow) throws -> Message {
        Message(id: MessageID(rawValue: try row.decode(column: "id", as: String.self)),
                room: RoomID(rawValue: try row.decode(column: "room_id", as: String.self)),
                author: try row.decode(column: "author", as: String.self),
                text: try row.decode(column: "text", as: String.self), attachments: [],
                createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
    }

    private func attachments(ofMessage id: MessageID) async throws -> [Attachment] {
        try await readRows("""
            SELECT \(Self.attachmentColumns) FROM message_attachments ma
            JOIN attachments a ON a.id = ma.attachment_id LEFT JOIN images i ON i.sha256 = a.sha256
            WHERE ma.message_id = ? ORDER BY ma.position
            """, [.text(id.rawValue)]).map { try Self.attachment(SQLiteColumns($0)) }
    }
}

enum PinKind: IdentifierKind { static let prefix = "pin" }

extension Date {
    /// Milliseconds since 1970: what the catalog stores, the same in SQLite and PostgreSQL.
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}

/// A statement built with SQLKit's interpolation, run on a pooled reader connection when it is awaited.
private struct PooledQuery {
    let pool: ConnectionPool
    let query: SQLQueryString

    func first() async throws -> (any SQLRow)? {
        try await all().first
    }

    func all() async throws -> [any SQLRow] {
        let query = self.query
        return try await pool.with { try await $0.sql().raw(query).all() }
    }
}
