import Foundation
import PostgresNIO
import TackCore

/// PostgresCatalog: messages and the attachments they carry, and messages remembered by their Idempotency-Key.
extension PostgresCatalog {
    public func insertMessage(id: MessageID, room: RoomID, author: String, text: String,
                              attachments ids: [AttachmentID], at date: Date, key: String?) async throws -> Message {
        let earlier: MessageID? = try await transaction { db, log in
            if let key, let row = try await db.rows("""
                SELECT message_id FROM message_keys WHERE user_name = \(author) AND key = \(key)
                """).first {
                return MessageID(rawValue: try row.text("message_id"))
            }
            var attachments: [(seq: Int64, attachment: Attachment)] = []
            for attachmentID in ids {
                guard let found = try await self.attachments("WHERE a.id = ?", [.text(attachmentID.rawValue)], on: db).first,
                      found.attachment.room == room
                else {
                    throw TackError.invalid(.foreignAttachment, "attachment '\(attachmentID)' is not in this room")
                }
                if !attachments.contains(where: { $0.seq == found.seq }) { attachments.append(found) }
            }
            try await db.run("""
                INSERT INTO messages (id, room_id, author, text, created_at)
                VALUES (\(id.rawValue), \(room.rawValue), \(author), \(text), \(date.millis))
                """)
            for (position, (seq, attachment)) in attachments.enumerated() {
                try await db.run("""
                    INSERT INTO message_attachments (message_id, attachment_id, position)
                    VALUES (\(id.rawValue), \(attachment.id.rawValue), \(position)) ON CONFLICT DO NOTHING
                    """)
                // The message's words find the files it carries.
                try await Self.appendText(text, toAttachment: seq, on: db)
            }
            log.event(.messageCreated, in: room, subject: id.rawValue)
            if let key {
                try await db.run("""
                    INSERT INTO message_keys (user_name, key, message_id, created_at)
                    VALUES (\(author), \(key), \(id.rawValue), \(date.millis))
                    """)
            }
            return nil
        }
        guard let message = try await message(earlier ?? id) else {
            throw TackError(.corruptCatalog, "message \(earlier ?? id) was recorded but cannot be read back")
        }
        return message
    }

    public func message(_ id: MessageID) async throws -> Message? {
        try await completed(rows("SELECT id, room_id, author, text, created_at FROM messages WHERE id = \(id.rawValue)"))
    }

    public func idempotentMessage(user: String, key: String) async throws -> Message? {
        try await completed(rows("""
            SELECT m.id, m.room_id, m.author, m.text, m.created_at FROM message_keys k JOIN messages m ON m.id = k.message_id
            WHERE k.user_name = \(user) AND k.key = \(key)
            """))
    }

    /// The message in `rows`, if any, with what it carries and what it carried.
    private func completed(_ rows: [PostgresColumns]) async throws -> Message? {
        guard var message = try rows.first.map(CatalogRows.message) else { return nil }
        message.attachments = try await self.rows(PostgresStatement("""
            SELECT \(CatalogRows.attachmentColumns) FROM message_attachments ma
            JOIN attachments a ON a.id = ma.attachment_id \(CatalogRows.attachmentFacts)
            WHERE ma.message_id = ? ORDER BY ma.position
            """, [.text(message.id.rawValue)])).map(CatalogRows.attachment)
        message.removed = try await self.rows("""
            SELECT attachment_id, name, reason, removed_at FROM removed_attachments
            WHERE message_id = \(message.id.rawValue) ORDER BY position
            """).map(CatalogRows.removedAttachment)
        return message
    }

    public func messages(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Message> {
        let rows = try await rows("""
            SELECT seq, id, room_id, author, text, created_at FROM messages
            WHERE room_id = \(room.rawValue) AND seq < \(cursor?.before ?? Int64.max) ORDER BY seq DESC LIMIT \(limit + 1)
            """).map { (seq: try $0.int64("seq"), message: try CatalogRows.message($0)) }
        let kept = rows.prefix(limit)
        // The page's attachments in one query, not one a message, bounded by the seqs of the messages kept. Read after
        // the messages, so an attachment deleted in between is left out, as the room shows it now.
        var byMessage: [String: [Attachment]] = [:]
        var removedByMessage: [String: [RemovedAttachment]] = [:]
        if let newest = kept.first?.seq, let oldest = kept.last?.seq {
            for row in try await self.rows(PostgresStatement("""
                SELECT ma.message_id, \(CatalogRows.attachmentColumns) FROM messages m
                JOIN message_attachments ma ON ma.message_id = m.id
                JOIN attachments a ON a.id = ma.attachment_id \(CatalogRows.attachmentFacts)
                WHERE m.room_id = ? AND m.seq BETWEEN ? AND ?
                ORDER BY ma.position
                """, [.text(room.rawValue), .integer(oldest), .integer(newest)])) {
                byMessage[try row.text("message_id"), default: []].append(try CatalogRows.attachment(row))
            }
            for row in try await self.rows("""
                SELECT r.message_id, r.attachment_id, r.name, r.reason, r.removed_at FROM messages m
                JOIN removed_attachments r ON r.message_id = m.id
                WHERE m.room_id = \(room.rawValue) AND m.seq BETWEEN \(oldest) AND \(newest)
                ORDER BY r.position
                """) {
                removedByMessage[try row.text("message_id"), default: []].append(try CatalogRows.removedAttachment(row))
            }
        }
        let messages = kept.map { row in
            var message = row.message
            message.attachments = byMessage[message.id.rawValue] ?? []
            message.removed = removedByMessage[message.id.rawValue] ?? []
            return message
        }
        return Page(items: messages, next: rows.count > limit ? kept.last.map { PageCursor(before: $0.seq) } : nil)
    }

    public func idempotentUpload(user: String, key: String) async throws -> IdempotentUpload? {
        guard let row = try await rows("""
            SELECT attachment_id, received_sha256 FROM upload_keys WHERE user_name = \(user) AND key = \(key)
            """).first, let received = ContentHash(hex: try row.text("received_sha256")) else { return nil }
        return IdempotentUpload(attachment: AttachmentID(rawValue: try row.text("attachment_id")), received: received)
    }
}

/// PostgresCatalog: room events for live streams.
extension PostgresCatalog {
    public func latestRoomEvent() async throws -> Int64 {
        // The newest committed event's number, even when pruning has emptied the table, so a new stream starts after it.
        try await rows("SELECT last_event FROM change_counter").first?.int64("last_event") ?? 0
    }

    public func roomEvents(in room: RoomID, after seq: Int64, limit: Int) async throws -> RoomEventBatch {
        // Two statements, but the oldest kept event is only ever pruned forward: if it is past `seq` + 1 when read after
        // the events, some were forgotten whichever order the two reads saw.
        let rows = try await rows("""
            SELECT seq, room_id, kind, subject, at FROM room_events WHERE room_id = \(room.rawValue) AND seq > \(seq)
            ORDER BY seq LIMIT \(limit)
            """)
        let oldest = try await self.rows("""
            SELECT COALESCE((SELECT MIN(seq) FROM room_events),
                            (SELECT last_event + 1 FROM change_counter)) AS oldest
            """).first?.int64("oldest") ?? 1
        let events = try rows.compactMap { row -> RoomEvent? in
            // A kind a newer tackd wrote is skipped, not an error.
            guard let kind = RoomEvent.Kind(rawValue: try row.text("kind")) else { return nil }
            return RoomEvent(seq: try row.int64("seq"), room: RoomID(rawValue: try row.text("room_id")), kind: kind,
                             subject: try row.text("subject"), at: Date(millis: try row.int64("at")))
        }
        return RoomEventBatch(events: events, missedSome: seq + 1 < oldest)
    }
}
