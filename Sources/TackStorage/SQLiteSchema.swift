import SQLKit
import TackCore

/// The catalog's tables, versioned with `PRAGMA user_version` so a newer tackd upgrades an older file in place.
enum SQLiteSchema {
    static let migrations: [[String]] = [
        [
            "CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, created_at INTEGER NOT NULL)",
            "CREATE TABLE tokens (digest TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users(name), created_at INTEGER NOT NULL)",
            "CREATE TABLE rooms (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, creator TEXT NOT NULL REFERENCES users(name), created_at INTEGER NOT NULL)",
            "CREATE TABLE room_members (room_id TEXT NOT NULL REFERENCES rooms(id), user_name TEXT NOT NULL REFERENCES users(name), PRIMARY KEY (room_id, user_name))",
            "CREATE INDEX room_members_user ON room_members(user_name)",
            "CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, refs INTEGER NOT NULL)",
            "CREATE TABLE pins (token TEXT PRIMARY KEY, sha256 TEXT NOT NULL, until INTEGER NOT NULL)",
            "CREATE INDEX pins_sha256 ON pins(sha256)",
            """
            CREATE TABLE attachments (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
              room_id TEXT NOT NULL REFERENCES rooms(id), name TEXT NOT NULL, size INTEGER NOT NULL,
              content_type TEXT NOT NULL, sha256 TEXT NOT NULL, uploader TEXT NOT NULL, created_at INTEGER NOT NULL)
            """,
            "CREATE INDEX attachments_room ON attachments(room_id, seq)",
            "CREATE INDEX attachments_sha256 ON attachments(sha256)",
            """
            CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
              room_id TEXT NOT NULL REFERENCES rooms(id), author TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL)
            """,
            "CREATE INDEX messages_room ON messages(room_id, seq)",
            """
            CREATE TABLE message_attachments (message_id TEXT NOT NULL REFERENCES messages(id),
              attachment_id TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (message_id, attachment_id))
            """,
            "CREATE INDEX message_attachments_attachment ON message_attachments(attachment_id)",
        ],
        [
            // Linked files: where they came from, and which attachment a refreshed version replaces.
            "ALTER TABLE attachments ADD COLUMN source_provider TEXT",
            "ALTER TABLE attachments ADD COLUMN source_url TEXT",
            "ALTER TABLE attachments ADD COLUMN fetched_at INTEGER",
            "ALTER TABLE attachments ADD COLUMN etag TEXT",
            "ALTER TABLE attachments ADD COLUMN last_modified TEXT",
            "ALTER TABLE attachments ADD COLUMN version_of TEXT",
        ],
        [
            // Thumbnails: per source blob, so identical images are decoded once however often they are shared.
            "CREATE TABLE images (sha256 TEXT PRIMARY KEY, width INTEGER, height INTEGER, failure TEXT)",
            """
            CREATE TABLE thumbnails (source_sha256 TEXT NOT NULL, size INTEGER NOT NULL, method TEXT NOT NULL,
              blob_sha256 TEXT NOT NULL, content_type TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
              PRIMARY KEY (source_sha256, size, method))
            """,
        ],
        [
            "ALTER TABLE attachments ADD COLUMN metadata_stripped INTEGER NOT NULL DEFAULT 0",
        ],
        [
            // Uploads and messages a client may retry after a crash: the key it chose, per user, and what the first
            // try made.
            """
            CREATE TABLE upload_keys (user_name TEXT NOT NULL, key TEXT NOT NULL, attachment_id TEXT NOT NULL,
              received_sha256 TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (user_name, key))
            """,
            """
            CREATE TABLE message_keys (user_name TEXT NOT NULL, key TEXT NOT NULL, message_id TEXT NOT NULL,
              created_at INTEGER NOT NULL, PRIMARY KEY (user_name, key))
            """,
            // Refreshing a linked file looks up its newest version by version_of.
            "CREATE INDEX attachments_version_of ON attachments(version_of)",
        ],
        [
            // Quotas: each user's bytes kept up to date in the transaction that adds or removes an attachment, so the
            // check is one row and two uploads at once cannot both slip under the limit. Removed users keep their row
            // (their attachments name them) but lose their tokens.
            "ALTER TABLE users ADD COLUMN quota_bytes INTEGER",
            "ALTER TABLE users ADD COLUMN used_bytes INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE users ADD COLUMN removed_at INTEGER",
            "UPDATE users SET used_bytes = (SELECT COALESCE(SUM(size), 0) FROM attachments WHERE uploader = users.name)",
            "CREATE INDEX tokens_user ON tokens(user_name)",
        ],
        [
            // What each write changed, for the caches of every process on this file (see CatalogChange); rows are
            // kept a few minutes, long enough for every follower to have read them.
            """
            CREATE TABLE catalog_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,
              subject TEXT NOT NULL, at INTEGER NOT NULL)
            """,
            "CREATE INDEX catalog_changes_at ON catalog_changes(at)",
        ],
        [
            // Search: each attachment's media kind and extension (filled in below for older rows), whether `tack shot`
            // sent it, and a text index over its name and the text of the messages that carry it, keyed by its seq.
            // PostgreSQL maps the same columns onto a tsvector with a GIN index.
            "ALTER TABLE attachments ADD COLUMN media TEXT NOT NULL DEFAULT 'other'",
            "ALTER TABLE attachments ADD COLUMN ext TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE attachments ADD COLUMN screenshot INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE attachments ADD COLUMN linked INTEGER NOT NULL DEFAULT 0",
            "UPDATE attachments SET linked = 1 WHERE source_url IS NOT NULL",
            // Newest first by uploader or by kind within a room; the columns after seq are what filters and counts
            // test, so a row that does not match is passed over (and a count made) without reading the row itself.
            """
            CREATE INDEX attachments_room_uploader
              ON attachments(room_id, uploader COLLATE NOCASE, seq, media, screenshot, linked, size, created_at, ext)
            """,
            """
            CREATE INDEX attachments_room_media
              ON attachments(room_id, media, seq, uploader, screenshot, linked, size, created_at, ext)
            """,
            // Prefix indexes for starts of 2 to 4 characters (`ske*`): without them FTS5 merges the lists of every
            // word a prefix covers, 20 times slower for a common start (scripts/bench/browse), for 40 MB more a million.
            """
            CREATE VIRTUAL TABLE attachment_text USING fts5(name, text, tokenize = 'unicode61 remove_diacritics 2',
                                                            prefix = '2 3 4')
            """,
            """
            INSERT INTO attachment_text (rowid, name, text)
            SELECT a.seq, a.name, COALESCE((SELECT group_concat(m.text, ' ') FROM message_attachments ma
                                            JOIN messages m ON m.id = ma.message_id WHERE ma.attachment_id = a.id), '')
            FROM attachments a
            """,
            // What happened in each room, for live streams and for a reconnecting stream to catch up; kept for
            // `event_retention` (a day by default).
            """
            CREATE TABLE room_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, room_id TEXT NOT NULL, kind TEXT NOT NULL,
              subject TEXT NOT NULL, at INTEGER NOT NULL)
            """,
            "CREATE INDEX room_events_room ON room_events(room_id, seq)",
            "CREATE INDEX room_events_at ON room_events(at)",
            // Each room's counts by type, kept in the transactions that add and delete attachments: the gallery's tabs
            // without counting 100,000 rows each time (filled in below for older rows).
            """
            CREATE TABLE room_type_counts (room_id TEXT NOT NULL, media TEXT NOT NULL, screenshot INTEGER NOT NULL,
              linked INTEGER NOT NULL, count INTEGER NOT NULL, bytes INTEGER NOT NULL,
              PRIMARY KEY (room_id, media, screenshot, linked)) WITHOUT ROWID
            """,
        ],
        [
            // Background work as rows: claimed under a lease, retried with backoff, kept across restarts. One row per
            // (kind, subject); a finished job's row is deleted, a failed one stays with its reason.
            """
            CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, subject TEXT NOT NULL,
              state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, run_after INTEGER NOT NULL,
              lease_owner TEXT, lease_until INTEGER, last_error TEXT, created_at INTEGER NOT NULL,
              UNIQUE (kind, subject))
            """,
            "CREATE INDEX jobs_due ON jobs(state, run_after)",
            // Who this catalog is, so a blob store can be marked as its own (BlobStore.claim).
            "CREATE TABLE catalog_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "INSERT INTO catalog_info (key, value) VALUES ('id', 'cat_' || lower(hex(randomblob(16))))",
        ],
        [
            // Keys that sign attachment links, the newest signing; made by tackd (the first) and `tackd keys rotate`.
            "CREATE TABLE link_keys (id TEXT PRIMARY KEY, secret TEXT NOT NULL, created_at INTEGER NOT NULL)",
        ],
        [
            // tus uploads under way (and, until they expire, complete ones, so a client can still ask how they
            // ended); `received` is the acknowledged offset, whose bytes are synced in the instance's uploads folder.
            """
            CREATE TABLE resumable_uploads (id TEXT PRIMARY KEY, room_id TEXT NOT NULL, uploader TEXT NOT NULL,
              length INTEGER, received INTEGER NOT NULL, name TEXT, content_type TEXT, message TEXT,
              metadata TEXT NOT NULL, screenshot INTEGER NOT NULL, created_at INTEGER NOT NULL,
              expires_at INTEGER NOT NULL, attachment_id TEXT, idempotency_key TEXT)
            """,
            "CREATE INDEX resumable_uploads_expires ON resumable_uploads(expires_at)",
            "CREATE INDEX resumable_uploads_uploader ON resumable_uploads(uploader)",
            // Days a room keeps attachments; NULL follows the server's retention_days.
            "ALTER TABLE rooms ADD COLUMN retention_days INTEGER",
            // What a message carried before it was deleted or outlived its room's retention: it says so in its place.
            """
            CREATE TABLE removed_attachments (message_id TEXT NOT NULL, attachment_id TEXT NOT NULL, name TEXT NOT NULL,
              reason TEXT NOT NULL, removed_at INTEGER NOT NULL, position INTEGER NOT NULL,
              PRIMARY KEY (message_id, attachment_id))
            """,
        ],
        [
            // The text read out of each stored file (by its bytes, so a file shared in ten rooms is read once), and
            // how that went; the text also goes into each of its attachments' rows of the search index.
            """
            CREATE TABLE blob_texts (sha256 TEXT PRIMARY KEY, state TEXT NOT NULL, text TEXT, characters INTEGER,
              truncated INTEGER NOT NULL DEFAULT 0, reason TEXT, extracted_at INTEGER NOT NULL)
            """,
        ],
        [
            // What a preview worker read of a file beside its picture: a PDF's pages, a video's or recording's length
            // and codec (a video's size goes in width and height).
            "ALTER TABLE images ADD COLUMN pages INTEGER",
            "ALTER TABLE images ADD COLUMN duration_ms INTEGER",
            "ALTER TABLE images ADD COLUMN codec TEXT",
        ],
        [
            // Whether an image looks like text (1) or not (0), so it is read by OCR; NULL until measured.
            "ALTER TABLE images ADD COLUMN looks_like_text INTEGER",
        ],
    ]

    /// Work a step needs beyond SQL, run in the step's transaction: for step 8, each older attachment's media kind
    /// and extension, which only `AttachmentType` knows how to tell, then the rooms' counts by type from them.
    static func backfill(step index: Int, _ db: any SQLDatabase) async throws {
        guard index == 7 else { return }
        for row in try await db.raw("SELECT seq, name, content_type FROM attachments").all() {
            let name = try row.decode(column: "name", as: String.self)
            let type = try row.decode(column: "content_type", as: String.self)
            try await db.raw("""
                UPDATE attachments SET media = \(bind: AttachmentType.media(contentType: type, name: name).rawValue),
                       ext = \(bind: AttachmentType.fileExtension(of: name))
                WHERE seq = \(bind: try row.decode(column: "seq", as: Int64.self))
                """).run()
        }
        try await db.raw("""
            INSERT INTO room_type_counts (room_id, media, screenshot, linked, count, bytes)
            SELECT room_id, media, screenshot, linked, COUNT(*), SUM(size) FROM attachments GROUP BY 1, 2, 3, 4
            """).run()
    }

    static func migrate(_ db: any SQLDatabase) async throws {
        for (index, statements) in migrations.enumerated() {
            // The version is read inside the write transaction, so two processes starting on a new file at once
            // (tackd serve and tackd gc) never both apply the same step.
            try await db.raw("BEGIN IMMEDIATE").run()
            do {
                let version = try await db.raw("PRAGMA user_version").first()?.decode(column: "user_version", as: Int.self) ?? 0
                if version <= index {
                    for statement in statements { try await db.raw("\(unsafeRaw: statement)").run() }
                    try await backfill(step: index, db)
                    try await db.raw("PRAGMA user_version = \(unsafeRaw: String(index + 1))").run()
                }
                try await db.raw("COMMIT").run()
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }
}
