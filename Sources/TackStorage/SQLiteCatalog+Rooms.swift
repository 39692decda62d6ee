import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// SQLiteCatalog: rooms and their members.
extension SQLiteCatalog {
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

    static func insertMember(_ user: String, room: RoomID, db: any SQLDatabase) async throws {
        guard try await db.raw("SELECT name FROM users WHERE name = \(bind: user) AND removed_at IS NULL").first() != nil else {
            throw TackError.invalid(.unknownUser, "there is no user named '\(user)'")
        }
        try await db.raw("INSERT OR IGNORE INTO room_members (room_id, user_name) VALUES (\(bind: room.rawValue), \(bind: user))").run()
    }

    /// Rooms with their members in one query (user names never hold a newline), instead of one query per room.
    static let selectRooms = """
        SELECT r.id, r.name, r.creator, r.created_at, r.retention_days,
               (SELECT group_concat(user_name, char(10)) FROM room_members WHERE room_id = r.id) AS members
        FROM rooms r
        """

    public func room(_ id: RoomID) async throws -> Room? {
        try await readIndexed("\(Self.selectRooms) WHERE r.id = ?", [.text(id.rawValue)]) { try CatalogRows.room($0) }.first
    }

    public func rooms(of user: String) async throws -> [Room] {
        try await readIndexed("""
            \(Self.selectRooms) JOIN room_members m ON m.room_id = r.id WHERE m.user_name = ? ORDER BY r.seq DESC
            """, [.text(user)]) { try CatalogRows.room($0) }
    }

    public func setRetention(of room: RoomID, days: Int?) async throws {
        try await transaction { db, log in
            log.record(.room(room))
            try await db.raw("UPDATE rooms SET retention_days = \(bind: days) WHERE id = \(bind: room.rawValue)").run()
        }
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
}
