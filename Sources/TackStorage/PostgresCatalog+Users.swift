import Foundation
import PostgresNIO
import TackCore

/// PostgresCatalog: users and their tokens, quotas and usage.
extension PostgresCatalog {
    public func createUser(name: String, role: Role, tokenDigest: String, at date: Date) async throws -> User {
        try await transaction { db, _ in
            if try await !db.rows("SELECT name FROM users WHERE name = \(name)").isEmpty {
                throw TackError(.userExists, "a user named '\(name)' exists already")
            }
            try await db.run("INSERT INTO users (name, role, created_at) VALUES (\(name), \(role.rawValue), \(date.millis))")
            try await db.run("INSERT INTO tokens (digest, user_name, created_at) VALUES (\(tokenDigest), \(name), \(date.millis))")
            return User(name: name, role: role, createdAt: Date(millis: date.millis))
        }
    }

    public func addToken(user: String, tokenDigest: String, at date: Date) async throws {
        try await transaction { db, _ in
            guard try await !db.rows("SELECT name FROM users WHERE name = \(user) AND removed_at IS NULL").isEmpty else {
                throw TackError.notFound("user '\(user)'")
            }
            try await db.run("INSERT INTO tokens (digest, user_name, created_at) VALUES (\(tokenDigest), \(user), \(date.millis))")
        }
    }

    public func user(forTokenDigest digest: String) async throws -> User? {
        try await rows("""
            SELECT u.name, u.role, u.created_at FROM tokens t JOIN users u ON u.name = t.user_name
            WHERE t.digest = \(digest) AND u.removed_at IS NULL
            """).first.map(CatalogRows.user)
    }

    public func tokens(of user: String) async throws -> [TokenInfo] {
        try await rows("SELECT digest, user_name, created_at FROM tokens WHERE user_name = \(user) ORDER BY created_at, digest")
            .map { row in
                TokenInfo(id: TokenInfo.id(forDigest: try row.text("digest")), user: try row.text("user_name"),
                          createdAt: Date(millis: try row.int64("created_at")))
            }
    }

    public func revokeToken(id: String) async throws -> Bool {
        let prefix = id.hasPrefix("tok_") ? String(id.dropFirst(4)) : id
        // Ids are 16 hex digits; anything else names no token (and must not match a digest by a shorter prefix).
        guard prefix.count == 16, prefix.allSatisfy(\.isHexDigit) else { return false }
        return try await transaction { db, log in
            let rows = try await db.rows("SELECT digest, user_name FROM tokens WHERE substr(digest, 1, 16) = \(prefix.lowercased())")
            guard rows.count == 1 else { return false }
            log.record(.user(try rows[0].text("user_name")))
            try await db.run("DELETE FROM tokens WHERE substr(digest, 1, 16) = \(prefix.lowercased())")
            return true
        }
    }

    public func removeUser(named name: String) async throws -> Bool {
        try await transaction { db, log in
            guard try await !db.rows("SELECT name FROM users WHERE name = \(name) AND removed_at IS NULL").isEmpty else {
                return false
            }
            try await db.run("DELETE FROM tokens WHERE user_name = \(name)")
            try await db.run("UPDATE users SET removed_at = \(Date().millis) WHERE name = \(name)")
            log.record(.user(name))
            return true
        }
    }

    public func usage(of user: String) async throws -> Usage? {
        guard let row = try await rows("SELECT used_bytes, quota_bytes FROM users WHERE name = \(user)").first else {
            return nil
        }
        return Usage(usedBytes: try row.int64("used_bytes"), quotaBytes: row.optionalInt("quota_bytes").map(Int64.init))
    }

    public func setQuota(of user: String, to bytes: Int64?) async throws {
        try await transaction { db, _ in
            guard try await !db.rows("SELECT name FROM users WHERE name = \(user) AND removed_at IS NULL").isEmpty else {
                throw TackError.notFound("user '\(user)'")
            }
            try await db.run("UPDATE users SET quota_bytes = \(bytes) WHERE name = \(user)")
        }
    }

    /// For inspection (tests, the admin tools); the service itself never asks.
    func user(named name: String) async throws -> User? {
        try await rows("SELECT name, role, created_at FROM users WHERE name = \(name) AND removed_at IS NULL")
            .first.map(CatalogRows.user)
    }

    public func isActiveUser(_ name: String) async throws -> Bool {
        try await !rows("SELECT 1 AS one FROM users WHERE name = \(name) AND removed_at IS NULL").isEmpty
    }
}

/// PostgresCatalog: rooms and their members.
extension PostgresCatalog {
    public func createRoom(_ room: Room) async throws {
        try await transaction { db, log in
            log.record(.room(room.id))
            try await db.run("""
                INSERT INTO rooms (id, name, creator, created_at)
                VALUES (\(room.id.rawValue), \(room.name), \(room.creator), \(room.createdAt.millis))
                """)
            for member in Set(room.members + [room.creator]) {
                try await Self.insertMember(member, room: room.id, db: db)
            }
        }
    }

    static func insertMember(_ user: String, room: RoomID, db: PostgresTransaction) async throws {
        guard try await !db.rows("SELECT name FROM users WHERE name = \(user) AND removed_at IS NULL").isEmpty else {
            throw TackError.invalid(.unknownUser, "there is no user named '\(user)'")
        }
        try await db.run("""
            INSERT INTO room_members (room_id, user_name) VALUES (\(room.rawValue), \(user)) ON CONFLICT DO NOTHING
            """)
    }

    /// Rooms with their members in one query (user names never hold a newline), instead of one query per room.
    static let selectRooms = """
        SELECT r.id, r.name, r.creator, r.created_at, r.retention_days,
               (SELECT string_agg(user_name, chr(10)) FROM room_members WHERE room_id = r.id) AS members
        FROM rooms r
        """

    public func room(_ id: RoomID) async throws -> Room? {
        try await rows(PostgresStatement("\(Self.selectRooms) WHERE r.id = ?", [.text(id.rawValue)]))
            .first.map(CatalogRows.room)
    }

    public func rooms(of user: String) async throws -> [Room] {
        try await rows(PostgresStatement("""
            \(Self.selectRooms) JOIN room_members m ON m.room_id = r.id WHERE m.user_name = ? ORDER BY r.seq DESC
            """, [.text(user)])).map(CatalogRows.room)
    }

    public func setRetention(of room: RoomID, days: Int?) async throws {
        try await transaction { db, log in
            log.record(.room(room))
            try await db.run("UPDATE rooms SET retention_days = \(days) WHERE id = \(room.rawValue)")
        }
    }

    public func addMember(_ user: String, to room: RoomID) async throws {
        try await transaction { db, log in
            let present = try await !db.rows("""
                SELECT user_name FROM room_members WHERE room_id = \(room.rawValue) AND user_name = \(user)
                """).isEmpty
            try await Self.insertMember(user, room: room, db: db)
            log.record(.room(room))
            if !present { log.event(.memberAdded, in: room, subject: user) }
        }
    }

    public func removeMember(_ user: String, from room: RoomID) async throws -> Bool {
        try await transaction { db, log in
            log.record(.room(room))
            let present = try await !db.rows("""
                DELETE FROM room_members WHERE room_id = \(room.rawValue) AND user_name = \(user) RETURNING user_name
                """).isEmpty
            if present { log.event(.memberRemoved, in: room, subject: user) }
            return present
        }
    }
}

/// PostgresCatalog: pins, references and forgetting blobs.
extension PostgresCatalog {
    // A pin is one row of its own, written and deleted in one statement outside the write lock: nothing else in the
    // transaction depends on it, and garbage collection reads pins and references in one snapshot (`isInUse`), so a
    // pin needs to be committed before its blob is published, not ordered among other writes.

    public func pin(_ hash: ContentHash, until: Date) async throws -> String {
        let token = Identifier<PinKind>.make().rawValue
        _ = try await rows("INSERT INTO pins (token, sha256, until) VALUES (\(token), \(hash.hex), \(until.millis))")
        return token
    }

    public func releasePin(_ token: String) async throws {
        _ = try await rows("DELETE FROM pins WHERE token = \(token)")
    }

    /// For inspection (tests, the admin tools); the service itself never asks.
    func isPinned(_ hash: ContentHash, at now: Date) async throws -> Bool {
        try await !rows("SELECT token FROM pins WHERE sha256 = \(hash.hex) AND until > \(now.millis) LIMIT 1").isEmpty
    }

    /// For inspection (tests, the admin tools); the service itself never asks.
    func references(to hash: ContentHash) async throws -> Int {
        try await rows("SELECT refs FROM blobs WHERE sha256 = \(hash.hex)").first?.optionalInt("refs") ?? 0
    }

    public func isInUse(_ hash: ContentHash, at now: Date) async throws -> Bool {
        // One statement, one snapshot: the pin released and the reference recorded are seen together or not at all.
        guard let row = try await rows("""
            SELECT COALESCE((SELECT refs FROM blobs WHERE sha256 = \(hash.hex)), 0) AS refs,
                   EXISTS(SELECT 1 FROM pins WHERE sha256 = \(hash.hex) AND until > \(now.millis)) AS pinned
            """).first else { return false }
        return try row.int64("refs") > 0 || row.int64("pinned") != 0
    }

    public func forgetBlob(_ hash: ContentHash) async throws {
        try await transaction { db, _ in
            try await db.run("DELETE FROM blobs WHERE sha256 = \(hash.hex) AND refs <= 0")
            try await db.run("DELETE FROM pins WHERE sha256 = \(hash.hex) AND until <= \(Date().millis)")
        }
    }
}

/// PostgresCatalog: the keys that sign attachment links.
extension PostgresCatalog {
    public func linkKeys() async throws -> [LinkKey] {
        try await rows("SELECT id, secret, created_at FROM link_keys ORDER BY created_at DESC, id DESC").map { row in
            guard let secret = ContentHash(hex: try row.text("secret"))?.bytes else {
                throw TackError(.corruptCatalog, "link key \(try row.text("id")) has a malformed secret")
            }
            return LinkKey(id: try row.text("id"), secret: secret, createdAt: Date(millis: try row.int64("created_at")))
        }
    }

    public func addLinkKey(_ key: LinkKey) async throws {
        guard let hex = ContentHash(bytes: key.secret)?.hex else {
            throw TackError(.internal, "a link key's secret must be 32 bytes")
        }
        try await transaction { db, log in
            log.record(.linkKeys)
            try await db.run("INSERT INTO link_keys (id, secret, created_at) VALUES (\(key.id), \(hex), \(key.createdAt.millis))")
        }
    }

    public func forgetLinkKey(id: String) async throws -> Bool {
        try await transaction { db, log in
            log.record(.linkKeys)
            return try await !db.rows("DELETE FROM link_keys WHERE id = \(id) RETURNING id").isEmpty
        }
    }
}
