import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// SQLiteCatalog: messages and the attachments they carry.
extension SQLiteCatalog {
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
    static func message(_ row: any SQLRow) throws -> Message {
        Message(id: MessageID(rawValue: try row.decode(column: "id", as: String.self)),
                room: RoomID(rawValue: try row.decode(column: "room_id", as: String.self)),
                author: try row.decode(column: "author", as: String.self),
                text: try row.decode(column: "text", as: String.self), attachments: [],
                createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
    }

    func attachments(ofMessage id: MessageID) async throws -> [Attachment] {
        try await readRows("""
            SELECT \(Self.attachmentColumns) FROM message_attachments ma
            JOIN attachments a ON a.id = ma.attachment_id LEFT JOIN images i ON i.sha256 = a.sha256
            WHERE ma.message_id = ? ORDER BY ma.position
            """, [.text(id.rawValue)]).map { try Self.attachment(SQLiteColumns($0)) }
    }
}
