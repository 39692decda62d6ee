import Foundation
import PostgresNIO
import TackCore

/// PostgresCatalog: attachments: recording, reading, versions, deleting.
extension PostgresCatalog {
    public func insertAttachment(_ a: Attachment, releasing pin: String?, quota: Int64?, key: UploadKey?) async throws
        -> IdempotentUpload?
    {
        let nameOnly = SearchDocument.tsvector(name: a.name, text: "")
        return try await transaction { db, log in
            if let key, let earlier = try await Self.upload(keyed: key.key, by: a.uploader, on: db) {
                if let pin { try await db.run("DELETE FROM pins WHERE token = \(pin)") }
                // The caller discards its staged copy and answers with the earlier one.
                return earlier
            }
            // One statement, so the write lock is held for one round trip: each step below runs only once the quota
            // let the bytes in (`gate`), and all see the same snapshot, taken after the lock. The row of the text index
            // starts with the name alone; text already read from the same bytes (rare) is added after.
            let row = try await db.rows("""
                WITH unpinned AS (DELETE FROM pins WHERE token = \(pin)),
                     charged AS (
                       UPDATE users SET used_bytes = used_bytes + \(a.size)
                       WHERE name = \(a.uploader) AND (\(quota)::bigint IS NULL OR used_bytes + \(a.size) <= \(quota)::bigint)
                       RETURNING used_bytes),
                     gate AS (SELECT 1 AS open WHERE \(quota)::bigint IS NULL OR EXISTS (SELECT 1 FROM charged)),
                     blob AS (
                       INSERT INTO blobs (sha256, size, refs) SELECT \(a.sha256.hex), \(a.size), 1 FROM gate
                       ON CONFLICT (sha256) DO UPDATE SET refs = blobs.refs + 1),
                     inserted AS (
                       INSERT INTO attachments (id, room_id, name, size, content_type, sha256, uploader, created_at,
                                                source_provider, source_url, fetched_at, etag, last_modified, version_of,
                                                metadata_stripped, media, ext, screenshot, linked)
                       SELECT \(a.id.rawValue), \(a.room.rawValue), \(a.name), \(a.size),
                              \(a.contentType), \(a.sha256.hex), \(a.uploader), \(a.createdAt.millis),
                              \(a.source?.provider), \(a.source?.url), \(a.source?.fetchedAt.millis),
                              \(a.source?.etag), \(a.source?.lastModified), \(a.versionOf?.rawValue),
                              \(a.metadataStripped ? 1 : 0), \(a.media.rawValue),
                              \(AttachmentType.fileExtension(of: a.name)), \(a.isScreenshot ? 1 : 0),
                              \(a.source == nil ? 0 : 1)
                       FROM gate
                       RETURNING seq),
                     indexed AS (
                       INSERT INTO attachment_text (seq, name, text, doc)
                       SELECT seq, \(a.name), '', \(nameOnly)::tsvector FROM inserted),
                     counted AS (
                       INSERT INTO room_type_counts (room_id, media, screenshot, linked, count, bytes)
                       SELECT \(a.room.rawValue), \(a.media.rawValue), \(a.isScreenshot ? 1 : 0), \(a.source == nil ? 0 : 1), 1,
                              \(a.size)
                       FROM gate
                       ON CONFLICT (room_id, media, screenshot, linked)
                       DO UPDATE SET count = room_type_counts.count + 1, bytes = room_type_counts.bytes + excluded.bytes),
                     keyed AS (
                       INSERT INTO upload_keys (user_name, key, attachment_id, received_sha256, created_at)
                       SELECT \(a.uploader), \(key?.key), \(a.id.rawValue), \(key?.received.hex), \(a.createdAt.millis)
                       FROM gate WHERE \(key?.key)::text IS NOT NULL)
                SELECT (SELECT seq FROM inserted) AS seq,
                       (SELECT used_bytes FROM users WHERE name = \(a.uploader)) AS used,
                       (SELECT text FROM blob_texts WHERE sha256 = \(a.sha256.hex) AND reason IS NULL) AS known
                """).first
            guard let seq = row?.optionalInt("seq").map(Int64.init) else {
                guard let quota, let used = row?.optionalInt("used") else {
                    throw TackError(.notFound, "no user '\(a.uploader)' to record attachment \(a.id) for")
                }
                throw TackError(.quotaExceeded, "this \(a.size)-byte file would take you past your quota: \(used) of \(quota) bytes are used; delete attachments or ask an administrator for more")
            }
            if let known = row?.optionalText("known"), !known.isEmpty {
                // Bytes whose text was read for an earlier attachment are searchable by it at once.
                try await db.run("""
                    UPDATE attachment_text SET text = \(known), doc = \(SearchDocument.tsvector(name: a.name, text: known))::tsvector
                    WHERE seq = \(seq)
                    """)
            }
            log.event(.attachmentCreated, in: a.room, subject: a.id.rawValue)
            log.record(.attachment(a.id, room: a.room))
            return nil
        }
    }

    static func upload(keyed key: String, by user: String, on db: PostgresTransaction) async throws -> IdempotentUpload? {
        guard let row = try await db.rows("""
            SELECT attachment_id, received_sha256 FROM upload_keys WHERE user_name = \(user) AND key = \(key)
            """).first else { return nil }
        let hex = try row.text("received_sha256")
        guard let received = ContentHash(hex: hex) else {
            throw TackError(.corruptCatalog, "upload key row has a malformed sha256 '\(hex)'")
        }
        return IdempotentUpload(attachment: AttachmentID(rawValue: try row.text("attachment_id")), received: received)
    }

    /// Adds words (a message's, a file's text) to an attachment's row of the text index, a line after what it has.
    static func appendText(_ addition: String, toAttachment seq: Int64, on db: PostgresTransaction) async throws {
        guard let row = try await db.rows("SELECT name, text FROM attachment_text WHERE seq = \(seq) FOR UPDATE").first
        else { return }
        let name = try row.text("name")
        let before = try row.text("text")
        let text = before.isEmpty ? addition : before + "\n" + addition
        try await db.run("""
            UPDATE attachment_text SET text = \(text), doc = \(SearchDocument.tsvector(name: name, text: text))::tsvector
            WHERE seq = \(seq)
            """)
    }

    /// Attachments by `clause` (bound with `binds`), with their seqs, on `db` or else a pooled connection.
    func attachments(_ clause: String, _ binds: [PostgresValue], on db: PostgresTransaction? = nil) async throws
        -> [(seq: Int64, attachment: Attachment)]
    {
        let statement = PostgresStatement("\(CatalogRows.selectAttachments) \(clause)", binds)
        let rows = if let db { try await db.rows(statement) } else { try await rows(statement) }
        return try rows.map { (try $0.int64("seq"), try CatalogRows.attachment($0)) }
    }

    public func attachment(_ id: AttachmentID) async throws -> Attachment? {
        try await attachments("WHERE a.id = ?", [.text(id.rawValue)]).first?.attachment
    }

    public func attachments(in room: RoomID, limit: Int, cursor: PageCursor?) async throws -> Page<Attachment> {
        let rows = try await attachments(
            "WHERE a.room_id = ? AND a.seq < ? ORDER BY a.seq DESC LIMIT ?",
            [.text(room.rawValue), .integer(cursor?.before ?? Int64.max), .integer(limit + 1)])
        return Self.page(rows, limit: limit)
    }

    /// The first `limit` of `rows` read one past it, and the cursor after them when there was one more.
    static func page<T>(_ rows: [(seq: Int64, T)], limit: Int) -> Page<T> {
        let kept = rows.prefix(limit)
        let next = rows.count > limit ? kept.last.map { PageCursor(before: $0.seq) } : nil
        return Page(items: kept.map(\.1), next: next)
    }

    public func recordRefetch(_ id: AttachmentID, source: LinkSource) async throws {
        try await transaction { db, log in
            let updated = try await db.rows("""
                UPDATE attachments SET fetched_at = \(source.fetchedAt.millis), etag = \(source.etag),
                       last_modified = \(source.lastModified)
                WHERE id = \(id.rawValue) AND source_url IS NOT NULL
                RETURNING room_id
                """)
            if let room = updated.first?.optionalText("room_id") {
                log.record(.attachment(id, room: RoomID(rawValue: room)))
            }
        }
    }

    public func latestVersion(of root: AttachmentID) async throws -> Attachment? {
        try await attachments("WHERE a.id = ? OR a.version_of = ? ORDER BY a.seq DESC LIMIT 1",
                              [.text(root.rawValue), .text(root.rawValue)]).first?.attachment
    }

    public func deleteAttachment(_ id: AttachmentID, reason: RemovedAttachment.Reason) async throws -> Attachment? {
        try await transaction { db, log in
            guard let (seq, attachment) = try await attachments("WHERE a.id = ?", [.text(id.rawValue)], on: db).first
            else { return nil }
            log.record(.attachment(attachment.id, room: attachment.room))
            log.event(.attachmentDeleted, in: attachment.room, subject: attachment.id.rawValue)
            try await db.run("DELETE FROM attachment_text WHERE seq = \(seq)")
            // The counts by type go down by what the row itself recorded.
            try await db.run("""
                UPDATE room_type_counts SET count = count - 1, bytes = bytes - \(attachment.size)
                WHERE (room_id, media, screenshot, linked) =
                      (SELECT room_id, media, screenshot, linked FROM attachments WHERE seq = \(seq))
                """)
            try await db.run("""
                INSERT INTO removed_attachments (message_id, attachment_id, name, reason, removed_at, position)
                SELECT message_id, attachment_id, \(attachment.name), \(reason.rawValue), \(Date().millis), position
                FROM message_attachments WHERE attachment_id = \(id.rawValue)
                ON CONFLICT DO NOTHING
                """)
            try await db.run("DELETE FROM message_attachments WHERE attachment_id = \(id.rawValue)")
            try await db.run("DELETE FROM attachments WHERE id = \(id.rawValue)")
            try await db.run("""
                UPDATE users SET used_bytes = GREATEST(0, used_bytes - \(attachment.size)) WHERE name = \(attachment.uploader)
                """)
            let left = try await db.rows("""
                UPDATE blobs SET refs = refs - 1 WHERE sha256 = \(attachment.sha256.hex) RETURNING refs
                """).first?.optionalInt("refs") ?? 0
            if left <= 0 {
                // The last use of these bytes is gone: so are their thumbnails, for the collector to reclaim.
                try await db.run("""
                    UPDATE blobs SET refs = refs - 1 WHERE sha256 IN
                      (SELECT blob_sha256 FROM thumbnails WHERE source_sha256 = \(attachment.sha256.hex))
                    """)
                try await db.run("DELETE FROM thumbnails WHERE source_sha256 = \(attachment.sha256.hex)")
                try await db.run("DELETE FROM images WHERE sha256 = \(attachment.sha256.hex)")
                try await db.run("DELETE FROM blob_texts WHERE sha256 = \(attachment.sha256.hex)")
                log.record(.blob(attachment.sha256))
            }
            return attachment
        }
    }

    public func attachmentsPastRetention(defaultDays: Int, at now: Date, limit: Int) async throws -> [Attachment] {
        try await rows(PostgresStatement("""
            SELECT \(CatalogRows.attachmentColumns) FROM rooms r JOIN attachments a ON a.room_id = r.id
            \(CatalogRows.attachmentFacts)
            WHERE COALESCE(r.retention_days, ?) > 0 AND a.created_at < ? - COALESCE(r.retention_days, ?) * 86400000
            ORDER BY a.seq LIMIT ?
            """, [.integer(defaultDays), .integer(now.millis), .integer(defaultDays), .integer(limit)]))
            .map(CatalogRows.attachment)
    }
}

/// PostgresCatalog: image facts, thumbnails and the text read out of stored files.
extension PostgresCatalog {
    public func recordImage(_ hash: ContentHash, info: ImageInfo) async throws {
        try await transaction { db, log in
            log.record(.blob(hash))
            let known = try await db.rows("""
                SELECT width, height, failure, pages, duration_ms, codec, looks_like_text FROM images WHERE sha256 = \(hash.hex)
                """).first.map {
                ImageInfo(width: $0.optionalInt("width"), height: $0.optionalInt("height"), failure: $0.optionalText("failure"),
                          pages: $0.optionalInt("pages"), durationMilliseconds: $0.optionalInt("duration_ms").map(Int64.init),
                          codec: $0.optionalText("codec"), looksLikeText: $0.optionalInt("looks_like_text").map { $0 != 0 })
            }
            let info = info.keeping(known)
            if known != info {
                for row in try await db.rows("SELECT id, room_id FROM attachments WHERE sha256 = \(hash.hex)") {
                    log.event(.attachmentThumbnailed, in: RoomID(rawValue: try row.text("room_id")), subject: try row.text("id"))
                }
            }
            try await db.run("""
                INSERT INTO images (sha256, width, height, failure, pages, duration_ms, codec, looks_like_text)
                VALUES (\(hash.hex), \(info.width), \(info.height), \(info.failure), \(info.pages), \(info.durationMilliseconds),
                        \(info.codec), \(info.looksLikeText.map { $0 ? 1 : 0 }))
                ON CONFLICT (sha256) DO UPDATE SET width = excluded.width, height = excluded.height, failure = excluded.failure,
                  pages = excluded.pages, duration_ms = excluded.duration_ms, codec = excluded.codec,
                  looks_like_text = excluded.looks_like_text
                """)
        }
    }

    public func thumbnail(of source: ContentHash, size: Int, method: String) async throws -> StoredThumbnail? {
        guard let row = try await rows("""
            SELECT blob_sha256, content_type, width, height FROM thumbnails
            WHERE source_sha256 = \(source.hex) AND size = \(size) AND method = \(method)
            """).first,
              let blob = ContentHash(hex: try row.text("blob_sha256"))
        else { return nil }
        return StoredThumbnail(source: source, size: size, method: method, blob: blob,
                               contentType: try row.text("content_type"),
                               width: Int(try row.int64("width")), height: Int(try row.int64("height")))
    }

    public func insertThumbnail(_ t: StoredThumbnail, releasing pin: String?) async throws {
        try await transaction { db, _ in
            let inserted = try await !db.rows("""
                INSERT INTO thumbnails (source_sha256, size, method, blob_sha256, content_type, width, height)
                VALUES (\(t.source.hex), \(t.size), \(t.method), \(t.blob.hex), \(t.contentType), \(t.width), \(t.height))
                ON CONFLICT DO NOTHING RETURNING blob_sha256
                """).isEmpty
            if inserted {
                try await db.run("""
                    INSERT INTO blobs (sha256, size, refs) VALUES (\(t.blob.hex), 0, 1)
                    ON CONFLICT (sha256) DO UPDATE SET refs = blobs.refs + 1
                    """)
            }
            if let pin { try await db.run("DELETE FROM pins WHERE token = \(pin)") }
        }
    }

    public func recordText(_ hash: ContentHash, _ text: BlobText) async throws {
        try await transaction { db, log in
            // Bytes are read once: the text of the same bytes is the same, and the first record stands.
            let known = try await !db.rows("SELECT 1 AS known FROM blob_texts WHERE sha256 = \(hash.hex)").isEmpty
            // Bytes whose last attachment went while they were read keep no text: nothing would ever remove it.
            let used = try await !db.rows("SELECT 1 AS used FROM attachments WHERE sha256 = \(hash.hex) LIMIT 1").isEmpty
            guard !known, used else { return }
            log.record(.blob(hash))
            try await db.run("""
                INSERT INTO blob_texts (sha256, state, text, characters, truncated, reason, extracted_at)
                VALUES (\(hash.hex), \(text.info.failure == nil ? "done" : "failed"), \(text.text),
                        \(text.info.characters), \(text.info.truncated ? 1 : 0), \(text.info.failure), \(Date().millis))
                """)
            for row in try await db.rows("SELECT seq, id, room_id FROM attachments WHERE sha256 = \(hash.hex)") {
                let id = try row.text("id")
                let room = RoomID(rawValue: try row.text("room_id"))
                log.record(.attachment(AttachmentID(rawValue: id), room: room))
                log.event(.attachmentTextRead, in: room, subject: id)
                guard text.info.failure == nil, !text.text.isEmpty else { continue }
                try await Self.appendText(text.text, toAttachment: try row.int64("seq"), on: db)
            }
        }
    }

    public func text(of hash: ContentHash) async throws -> BlobText? {
        guard let row = try await rows("""
            SELECT text, characters, truncated, reason FROM blob_texts WHERE sha256 = \(hash.hex)
            """).first else { return nil }
        return BlobText(
            info: TextInfo(failure: row.optionalText("reason"), characters: row.optionalInt("characters") ?? 0,
                           truncated: try row.int64("truncated") != 0),
            text: row.optionalText("text") ?? "")
    }
}
