import Foundation
import SQLiteKit
import TackCore

/// Copies an embedded catalog (SQLite) into a PostgreSQL one: every user, token, room, attachment, message, job,
/// event and key, with the same ids and numbers, and the catalog's own id, so the blob stores it marked stay its own.
///
/// One PostgreSQL transaction empties the destination's tables and copies everything into them, then compares every
/// table's row count with the source's: interrupted, it leaves the destination as it was; run again, it starts over
/// and ends with the same copy. It refuses a destination that already holds another catalog's data. Run it with the
/// embedded catalog's tackd stopped (the last pass, at least), so nothing changes while it reads.
public struct CatalogMigration: Sendable {
    public let source: SQLiteCatalog
    public let destination: PostgresCatalog

    public init(from source: SQLiteCatalog, to destination: PostgresCatalog) {
        self.source = source
        self.destination = destination
    }

    /// One table's copy: the columns both catalogs have, in an order that satisfies the foreign keys.
    struct Table: Sendable {
        let name: String
        let columns: [String]
        /// Rows per INSERT: fewer for tables that hold long texts, so a batch stays a few megabytes.
        var batch = 500
        /// How the source is paged: by rowid, or (a table without one) by its key, by offset.
        var orderedBy = "rowid"
        var byOffset = false
    }

    static let tables: [Table] = [
        Table(name: "users", columns: ["name", "role", "created_at", "quota_bytes", "used_bytes", "removed_at"]),
        Table(name: "tokens", columns: ["digest", "user_name", "created_at"]),
        Table(name: "rooms", columns: ["seq", "id", "name", "creator", "created_at", "retention_days"]),
        Table(name: "room_members", columns: ["room_id", "user_name"]),
        Table(name: "blobs", columns: ["sha256", "size", "refs"]),
        Table(name: "pins", columns: ["token", "sha256", "until"]),
        Table(name: "attachments", columns: [
            "seq", "id", "room_id", "name", "size", "content_type", "sha256", "uploader", "created_at", "source_provider",
            "source_url", "fetched_at", "etag", "last_modified", "version_of", "metadata_stripped", "media", "ext",
            "screenshot", "linked"]),
        Table(name: "messages", columns: ["seq", "id", "room_id", "author", "text", "created_at"], batch: 100),
        Table(name: "message_attachments", columns: ["message_id", "attachment_id", "position"]),
        Table(name: "images", columns: ["sha256", "width", "height", "failure", "pages", "duration_ms", "codec",
                                         "looks_like_text"]),
        Table(name: "thumbnails", columns: ["source_sha256", "size", "method", "blob_sha256", "content_type", "width", "height"]),
        Table(name: "upload_keys", columns: ["user_name", "key", "attachment_id", "received_sha256", "created_at"]),
        Table(name: "message_keys", columns: ["user_name", "key", "message_id", "created_at"]),
        Table(name: "room_events", columns: ["seq", "room_id", "kind", "subject", "at"]),
        Table(name: "room_type_counts", columns: ["room_id", "media", "screenshot", "linked", "count", "bytes"],
              orderedBy: "room_id, media, screenshot, linked", byOffset: true),
        Table(name: "jobs", columns: ["id", "kind", "subject", "state", "attempts", "run_after", "lease_owner", "lease_until",
                                      "last_error", "created_at"]),
        Table(name: "link_keys", columns: ["id", "secret", "created_at"]),
        Table(name: "resumable_uploads", columns: [
            "id", "room_id", "uploader", "length", "received", "name", "content_type", "message", "metadata", "screenshot",
            "created_at", "expires_at", "attachment_id", "idempotency_key"]),
        Table(name: "removed_attachments", columns: ["message_id", "attachment_id", "name", "reason", "removed_at", "position"]),
        Table(name: "blob_texts", columns: ["sha256", "state", "text", "characters", "truncated", "reason", "extracted_at"],
              batch: 20),
    ]

    /// Tables whose numbers PostgreSQL hands out from a sequence, which must go on after the copied ones.
    static let numbered: [(table: String, column: String)] = [
        ("rooms", "seq"), ("attachments", "seq"), ("messages", "seq"), ("room_events", "seq"), ("jobs", "id"),
    ]

    /// Copies everything; returns each table's row count (the text index as `attachment_text`).
    public func run(progress: @Sendable (String, Int) -> Void = { _, _ in }) async throws -> [String: Int] {
        let sourceID = try await source.catalogID()
        let source = self.source
        return try await destination.transaction { db, log in
            let destinationID = try await db.rows("SELECT value FROM catalog_info WHERE key = 'id'").first?.text("value")
            let used = try await !db.rows("SELECT 1 AS used FROM users LIMIT 1").isEmpty
            if used && destinationID != sourceID {
                throw TackError.invalid(.invalidSetting, "\(destination.location.displayName) holds another catalog's data "
                    + "(\(destinationID ?? "no id"), this one is \(sourceID)): migrate into an empty database")
            }
            let names = (Self.tables.map(\.name) + ["attachment_text", "catalog_changes"]).joined(separator: ", ")
            try await db.run(PostgresStatement("TRUNCATE \(names)"))
            var counts: [String: Int] = [:]
            for table in Self.tables {
                counts[table.name] = try await Self.copy(table, from: source, to: db) { progress(table.name, $0) }
            }
            counts["attachment_text"] = try await Self.copyTextIndex(from: source, to: db) { progress("attachment_text", $0) }
            for (table, column) in Self.numbered {
                try await db.run(PostgresStatement("""
                    SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'),
                                  COALESCE((SELECT MAX(\(column)) FROM \(table)), 0) + 1, false)
                    """))
            }
            try await db.run("UPDATE catalog_info SET value = \(sourceID) WHERE key = 'id'")
            // Streams reconnecting with an event id the embedded catalog gave go on from it.
            let lastEvent = try await source.latestRoomEvent()
            try await db.run("UPDATE change_counter SET last_event = \(lastEvent)")
            // Every table as the source has it, or nothing at all.
            for (table, copied) in counts {
                let there = try await db.rows(PostgresStatement("SELECT COUNT(*) AS n FROM \(table)")).first?.int64("n") ?? -1
                let here = try await source.readRows("SELECT COUNT(*) AS n FROM \(table)", [])
                    .first.map { try SQLiteColumns($0).int64("n") } ?? -1
                guard there == here, Int(there) == copied else {
                    throw TackError(.internal, "table \(table): \(here) rows in the embedded catalog, \(there) copied; nothing was kept")
                }
            }
            log.record(.everything)
            return counts
        }
    }

    /// Copies one table in batches; returns the rows copied.
    static func copy(_ table: Table, from source: SQLiteCatalog, to db: PostgresTransaction,
                     progress: (Int) -> Void) async throws -> Int {
        let columns = table.columns.joined(separator: ", ")
        let placeholders = "(" + Array(repeating: "?", count: table.columns.count).joined(separator: ", ") + ")"
        var copied = 0
        var after = Int64.min
        while true {
            let rows = table.byOffset
                ? try await source.readRows("SELECT \(columns) FROM \(table.name) ORDER BY \(table.orderedBy) LIMIT ? OFFSET ?",
                                            [.integer(table.batch), .integer(copied)])
                : try await source.readRows("SELECT rowid AS source_rowid, \(columns) FROM \(table.name) WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                            [.integer(Int(after)), .integer(table.batch)])
            guard !rows.isEmpty else { return copied }
            var binds: [PostgresValue] = []
            binds.reserveCapacity(rows.count * table.columns.count)
            for row in rows {
                for column in table.columns { binds.append(try value(row, column, table: table.name)) }
                if !table.byOffset { after = Int64(row.column("source_rowid")?.integer ?? Int(after)) }
            }
            let values = Array(repeating: placeholders, count: rows.count).joined(separator: ", ")
            try await db.run(PostgresStatement("INSERT INTO \(table.name) (\(columns)) VALUES \(values)", binds))
            copied += rows.count
            progress(copied)
        }
    }

    /// The FTS5 index's rows, each written again as a PostgreSQL document.
    static func copyTextIndex(from source: SQLiteCatalog, to db: PostgresTransaction, progress: (Int) -> Void) async throws -> Int {
        var copied = 0
        var after = 0
        while true {
            let rows = try await source.readRows(
                "SELECT rowid AS seq, name, text FROM attachment_text WHERE rowid > ? ORDER BY rowid LIMIT 20", [.integer(after)])
            guard !rows.isEmpty else { return copied }
            for row in rows {
                let columns = SQLiteColumns(row)
                let seq = try columns.int64("seq")
                let name = columns.optionalText("name") ?? ""
                let text = columns.optionalText("text") ?? ""
                try await db.run("""
                    INSERT INTO attachment_text (seq, name, text, doc)
                    VALUES (\(seq), \(name), \(text), \(SearchDocument.tsvector(name: name, text: text))::tsvector)
                    """)
                after = Int(seq)
            }
            copied += rows.count
            progress(copied)
        }
    }

    /// One SQLite value as PostgreSQL binds it; the catalog stores only integers, text and NULL.
    static func value(_ row: SQLiteRow, _ column: String, table: String) throws -> PostgresValue {
        switch row.column(column) {
        case .integer(let number): return .integer(Int64(number))
        case .text(let text): return .text(text)
        case .null, nil: return .text(nil)
        case .float(let number) where number.rounded() == number: return .integer(Int64(number))
        default: throw TackError(.corruptCatalog, "\(table).\(column) holds a value that is neither text nor a whole number")
        }
    }
}
