import Logging
import PostgresNIO

/// The PostgreSQL catalog's tables: SQLite's, column for column (integers, text, 0/1 flags, milliseconds since 1970),
/// so both read through the same row mapping, with PostgreSQL's own text search in place of FTS5 and a gapless change
/// counter in place of `sqlite_sequence`.
///
/// Versioned in `schema_version`, each step applied under an advisory lock: several instances starting together
/// against a new database apply every step exactly once.
enum PostgresSchema {
    /// The advisory lock migrations run under (an arbitrary number, the same in every instance).
    static let migrationLock: Int64 = 0x7461_636B_6D69_6772 // "tackmigr"

    static let migrations: [[String]] = [
        [
            "CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, created_at BIGINT NOT NULL, quota_bytes BIGINT, used_bytes BIGINT NOT NULL DEFAULT 0, removed_at BIGINT)",
            "CREATE TABLE tokens (digest TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users(name), created_at BIGINT NOT NULL)",
            "CREATE INDEX tokens_user ON tokens(user_name)",
            "CREATE TABLE rooms (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, creator TEXT NOT NULL REFERENCES users(name), created_at BIGINT NOT NULL, retention_days BIGINT)",
            "CREATE TABLE room_members (room_id TEXT NOT NULL REFERENCES rooms(id), user_name TEXT NOT NULL REFERENCES users(name), PRIMARY KEY (room_id, user_name))",
            "CREATE INDEX room_members_user ON room_members(user_name)",
            "CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, refs BIGINT NOT NULL)",
            "CREATE TABLE pins (token TEXT PRIMARY KEY, sha256 TEXT NOT NULL, until BIGINT NOT NULL)",
            "CREATE INDEX pins_sha256 ON pins(sha256)",
            """
            CREATE TABLE attachments (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE,
              room_id TEXT NOT NULL REFERENCES rooms(id), name TEXT NOT NULL, size BIGINT NOT NULL,
              content_type TEXT NOT NULL, sha256 TEXT NOT NULL, uploader TEXT NOT NULL, created_at BIGINT NOT NULL,
              source_provider TEXT, source_url TEXT, fetched_at BIGINT, etag TEXT, last_modified TEXT, version_of TEXT,
              metadata_stripped INTEGER NOT NULL DEFAULT 0, media TEXT NOT NULL DEFAULT 'other', ext TEXT NOT NULL DEFAULT '',
              screenshot INTEGER NOT NULL DEFAULT 0, linked INTEGER NOT NULL DEFAULT 0)
            """,
            "CREATE INDEX attachments_room ON attachments(room_id, seq)",
            "CREATE INDEX attachments_sha256 ON attachments(sha256)",
            "CREATE INDEX attachments_version_of ON attachments(version_of)",
            "CREATE INDEX attachments_room_uploader ON attachments(room_id, lower(uploader), seq)",
            "CREATE INDEX attachments_room_media ON attachments(room_id, media, seq)",
            """
            CREATE TABLE messages (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE,
              room_id TEXT NOT NULL REFERENCES rooms(id), author TEXT NOT NULL, text TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX messages_room ON messages(room_id, seq)",
            """
            CREATE TABLE message_attachments (message_id TEXT NOT NULL REFERENCES messages(id),
              attachment_id TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (message_id, attachment_id))
            """,
            "CREATE INDEX message_attachments_attachment ON message_attachments(attachment_id)",
            "CREATE TABLE images (sha256 TEXT PRIMARY KEY, width BIGINT, height BIGINT, failure TEXT)",
            """
            CREATE TABLE thumbnails (source_sha256 TEXT NOT NULL, size BIGINT NOT NULL, method TEXT NOT NULL,
              blob_sha256 TEXT NOT NULL, content_type TEXT NOT NULL, width BIGINT NOT NULL, height BIGINT NOT NULL,
              PRIMARY KEY (source_sha256, size, method))
            """,
            """
            CREATE TABLE upload_keys (user_name TEXT NOT NULL, key TEXT NOT NULL, attachment_id TEXT NOT NULL,
              received_sha256 TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (user_name, key))
            """,
            """
            CREATE TABLE message_keys (user_name TEXT NOT NULL, key TEXT NOT NULL, message_id TEXT NOT NULL,
              created_at BIGINT NOT NULL, PRIMARY KEY (user_name, key))
            """,
            // The number of the last change recorded: one row, bumped inside each writing transaction, so numbers
            // are gapless and in commit order (a sequence hands out numbers that a rollback leaves as gaps); and the
            // newest room event's number, as committed (a sequence's value runs ahead of uncommitted inserts).
            "CREATE TABLE change_counter (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, last_event BIGINT NOT NULL)",
            "INSERT INTO change_counter (id, seq, last_event) VALUES (1, 0, 0)",
            "CREATE TABLE catalog_changes (seq BIGINT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL, at BIGINT NOT NULL)",
            "CREATE INDEX catalog_changes_at ON catalog_changes(at)",
            // Each attachment's words, as AttachmentFilter.words splits them, written by tackd as a tsvector.
            """
            CREATE TABLE attachment_text (seq BIGINT PRIMARY KEY, name TEXT NOT NULL, text TEXT NOT NULL,
              doc TSVECTOR NOT NULL)
            """,
            "CREATE INDEX attachment_text_doc ON attachment_text USING GIN (doc)",
            """
            CREATE TABLE room_events (seq BIGSERIAL PRIMARY KEY, room_id TEXT NOT NULL, kind TEXT NOT NULL,
              subject TEXT NOT NULL, at BIGINT NOT NULL)
            """,
            "CREATE INDEX room_events_room ON room_events(room_id, seq)",
            "CREATE INDEX room_events_at ON room_events(at)",
            """
            CREATE TABLE room_type_counts (room_id TEXT NOT NULL, media TEXT NOT NULL, screenshot INTEGER NOT NULL,
              linked INTEGER NOT NULL, count BIGINT NOT NULL, bytes BIGINT NOT NULL,
              PRIMARY KEY (room_id, media, screenshot, linked))
            """,
            """
            CREATE TABLE jobs (id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,
              state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0, run_after BIGINT NOT NULL,
              lease_owner TEXT, lease_until BIGINT, last_error TEXT, created_at BIGINT NOT NULL,
              UNIQUE (kind, subject))
            """,
            "CREATE INDEX jobs_due ON jobs(state, run_after)",
            "CREATE TABLE catalog_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "INSERT INTO catalog_info (key, value) VALUES ('id', 'cat_' || md5(random()::text || clock_timestamp()::text))",
            "CREATE TABLE link_keys (id TEXT PRIMARY KEY, secret TEXT NOT NULL, created_at BIGINT NOT NULL)",
            """
            CREATE TABLE resumable_uploads (id TEXT PRIMARY KEY, room_id TEXT NOT NULL, uploader TEXT NOT NULL,
              length BIGINT, received BIGINT NOT NULL, name TEXT, content_type TEXT, message TEXT,
              metadata TEXT NOT NULL, screenshot INTEGER NOT NULL, created_at BIGINT NOT NULL,
              expires_at BIGINT NOT NULL, attachment_id TEXT, idempotency_key TEXT)
            """,
            "CREATE INDEX resumable_uploads_expires ON resumable_uploads(expires_at)",
            "CREATE INDEX resumable_uploads_uploader ON resumable_uploads(uploader)",
            """
            CREATE TABLE removed_attachments (message_id TEXT NOT NULL, attachment_id TEXT NOT NULL, name TEXT NOT NULL,
              reason TEXT NOT NULL, removed_at BIGINT NOT NULL, position BIGINT NOT NULL,
              PRIMARY KEY (message_id, attachment_id))
            """,
            """
            CREATE TABLE blob_texts (sha256 TEXT PRIMARY KEY, state TEXT NOT NULL, text TEXT, characters BIGINT,
              truncated INTEGER NOT NULL DEFAULT 0, reason TEXT, extracted_at BIGINT NOT NULL)
            """,
        ],
        [
            // As SQLite's step 13: what a preview worker read of a file beside its picture.
            "ALTER TABLE images ADD COLUMN pages BIGINT",
            "ALTER TABLE images ADD COLUMN duration_ms BIGINT",
            "ALTER TABLE images ADD COLUMN codec TEXT",
        ],
        [
            // As SQLite's step 14: whether an image looks like text, so it is read by OCR.
            "ALTER TABLE images ADD COLUMN looks_like_text INTEGER",
        ],
    ]

    /// Applies the steps `connection`'s database lacks, each in a transaction of its own, holding the migration lock
    /// throughout so a second instance waits and then finds nothing left to do.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
        do {
            try await connection.query("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)", logger: logger)
            for (index, statements) in migrations.enumerated() {
                try await connection.withTransaction(logger: logger) { connection in
                    var version: Int64 = 0
                    for try await (value) in try await connection.query("SELECT MAX(version) FROM schema_version", logger: logger)
                        .decode(Int64?.self) { version = value ?? 0 }
                    guard version <= index else { return }
                    for statement in statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO schema_version (version) VALUES (\(Int64(index + 1)))", logger: logger)
                }
            }
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
            throw error
        }
        try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
    }
}
