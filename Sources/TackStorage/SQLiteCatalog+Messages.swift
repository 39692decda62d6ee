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
        guard var message = try await readIndexed("""
            SELECT id, room_id, author, text, created_at FROM messages WHERE id = ?
            """, [.text(id.rawValue)], row: { try CatalogRows.message($0) }).first else { return nil }
        message.attachments = try await attachments(ofMessage: message.id)
        message.removed = try await removedAttachments(ofMessage: message.id)
        return message
    }

    public func messages(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Message> {
        let binds: [SQLiteData] = [.text(room.rawValue), .integer(Int(cursor?.before ?? Int64.max)), .integer(limit + 1)]
        let rows = try await readIndexed("""
            SELECT seq, id, room_id, author, text, created_at FROM messages
            WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?
            """, binds) { (seq: try $0.int64("seq"), message: try CatalogRows.message($0)) }
        let kept = rows.prefix(limit)
        // The page's attachments in one query, not one a message, bounded by the seqs of the messages kept (not by
        // the page's limit again: messages posted in between would move that window). Read after the messages, so
        // an attachment deleted in between is left out, as the room shows it now.
        var byMessage: [String: [(message: String, attachment: Attachment)]] = [:]
        var removedByMessage: [String: [(message: String, removed: RemovedAttachment)]] = [:]
        if let newest = kept.first?.seq, let oldest = kept.last?.seq {
            let attached = try await readIndexed("""
                SELECT ma.message_id, \(CatalogRows.attachmentColumns) FROM messages m
                JOIN message_attachments ma ON ma.message_id = m.id
                JOIN attachments a ON a.id = ma.attachment_id \(CatalogRows.attachmentFacts)
                WHERE m.room_id = ? AND m.seq BETWEEN ? AND ?
                ORDER BY ma.position
                """, [.text(room.rawValue), .integer(Int(oldest)), .integer(Int(newest))]) {
                (message: try $0.text("message_id"), attachment: try CatalogRows.attachment($0))
            }
            byMessage = Dictionary(grouping: attached, by: \.message)
            let removed = try await readIndexed("""
                SELECT r.message_id, r.attachment_id, r.name, r.reason, r.removed_at FROM messages m
                JOIN removed_attachments r ON r.message_id = m.id
                WHERE m.room_id = ? AND m.seq BETWEEN ? AND ?
                ORDER BY r.position
                """, [.text(room.rawValue), .integer(Int(oldest)), .integer(Int(newest))]) {
                (message: try $0.text("message_id"), removed: try CatalogRows.removedAttachment($0))
            }
            removedByMessage = Dictionary(grouping: removed, by: \.message)
        }
        let messages = kept.map { row in
            var message = row.message
            message.attachments = byMessage[message.id.rawValue]?.map(\.attachment) ?? []
            message.removed = removedByMessage[message.id.rawValue]?.map(\.removed) ?? []
            return message
        }
        return Page(items: messages, next: rows.count > limit ? kept.last.map { PageCursor(before: $0.seq) } : nil)
    }

    func removedAttachments(ofMessage id: MessageID) async throws -> [RemovedAttachment] {
        try await readIndexed("""
            SELECT attachment_id, name, reason, removed_at FROM removed_attachments WHERE message_id = ? ORDER BY position
            """, [.text(id.rawValue)]) { try CatalogRows.removedAttachment($0) }
    }

    func attachments(ofMessage id: MessageID) async throws -> [Attachment] {
        try await readIndexed("""
            SELECT \(CatalogRows.attachmentColumns) FROM message_attachments ma
            JOIN attachments a ON a.id = ma.attachment_id \(CatalogRows.attachmentFacts)
            WHERE ma.message_id = ? ORDER BY ma.position
            """, [.text(id.rawValue)]) { try CatalogRows.attachment($0) }
    }
}
