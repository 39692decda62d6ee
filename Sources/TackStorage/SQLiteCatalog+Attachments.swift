import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// SQLiteCatalog: attachments: recording, reading, versions, deleting.
extension SQLiteCatalog {
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
            // Bytes whose text was read for an earlier attachment are searchable by it at once.
            try await db.raw("""
                INSERT INTO attachment_text (rowid, name, text) VALUES (\(bind: seq), \(bind: a.name),
                  COALESCE((SELECT text FROM blob_texts WHERE sha256 = \(bind: a.sha256.hex) AND reason IS NULL), ''))
                """).run()
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

    static func upload(keyed key: String, by user: String, db: any SQLDatabase) async throws -> IdempotentUpload? {
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

    /// Attachments read through SQLiteNIO's rows rather than SQLKit's (see `SQLiteColumns`), on `connection`: a
    /// reader, or the writer inside a transaction.
    static func attachments(
        on connection: SQLiteConnection, _ clause: String, _ binds: [SQLiteData]
    ) async throws -> [(seq: Int64, attachment: Attachment)] {
        try await connection.query("\(CatalogRows.selectAttachments) \(clause)", binds).map { row in
            let columns = SQLiteColumns(row)
            return (try columns.int64("seq"), try CatalogRows.attachment(columns))
        }
    }

    /// Attachments by key or by cursor (reads bounded by an index), through `readIndexed`.
    func indexedAttachments(_ clause: String, _ binds: [SQLiteData]) async throws -> [(seq: Int64, attachment: Attachment)] {
        try await readIndexed("\(CatalogRows.selectAttachments) \(clause)", binds) { row in
            (try row.int64("seq"), try CatalogRows.attachment(row))
        }
    }

    public func attachment(_ id: AttachmentID) async throws -> Attachment? {
        try await indexedAttachments("WHERE a.id = ?", [.text(id.rawValue)]).first?.attachment
    }

    public func attachments(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Attachment> {
        let rows = try await indexedAttachments(
            "WHERE a.room_id = ? AND a.seq < ? ORDER BY a.seq DESC LIMIT ?",
            [.text(room.rawValue), .integer(Int(cursor?.before ?? Int64.max)), .integer(limit + 1)])
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

    public func latestVersion(of root: AttachmentID) async throws -> Attachment? {
        try await indexedAttachments("WHERE a.id = ? OR a.version_of = ? ORDER BY a.seq DESC LIMIT 1",
                                     [.text(root.rawValue), .text(root.rawValue)]).first?.attachment
    }

    public func deleteAttachment(_ id: AttachmentID, reason: RemovedAttachment.Reason) async throws -> Attachment? {
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
            try await db.raw("""
                INSERT OR IGNORE INTO removed_attachments (message_id, attachment_id, name, reason, removed_at, position)
                SELECT message_id, attachment_id, \(bind: attachment.name), \(bind: reason.rawValue), \(bind: Date().millis), position
                FROM message_attachments WHERE attachment_id = \(bind: id.rawValue)
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
                try await db.raw("DELETE FROM blob_texts WHERE sha256 = \(bind: attachment.sha256.hex)").run()
                log.record(.blob(attachment.sha256))
            }
            return attachment
        }
    }

    public func attachmentsPastRetention(defaultDays: Int, at now: Date, limit: Int) async throws -> [Attachment] {
        try await readRows("""
            SELECT \(CatalogRows.attachmentColumns) FROM rooms r JOIN attachments a ON a.room_id = r.id
            \(CatalogRows.attachmentFacts)
            WHERE COALESCE(r.retention_days, ?) > 0 AND a.created_at < ? - COALESCE(r.retention_days, ?) * 86400000
            ORDER BY a.seq LIMIT ?
            """, [.integer(defaultDays), .integer(Int(now.millis)), .integer(defaultDays), .integer(limit)])
            .map { try CatalogRows.attachment(SQLiteColumns($0)) }
    }

}
