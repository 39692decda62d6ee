import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// The embedded default catalog: one SQLite file in WAL mode.
///
/// Writes go through one connection, one transaction at a time; reads use connections of their own (one per core,
/// up to four), so they never see another request's uncommitted rows, never wait behind a write and run side by side.
///
/// Each write records what it changed in `catalog_changes`, in its own transaction, and publishes it on `changes`
/// before returning; `followChanges` publishes what other processes on the same file recorded.
public final class SQLiteCatalog: Catalog {
    let writer: SQLiteConnection
    let readers: ConnectionPool<SQLiteConnection>
    /// For short reads bounded by an index, on the caller's thread with statements kept prepared.
    let directReaders: ConnectionPool<SQLiteDirectReader>
    let gate = SerialGate()
    private let closed = Mutex(false)
    public let changes = CatalogChanges()
    /// The newest row of `catalog_changes` already published.
    private let changesSeen: Mutex<Int64>
    /// Rows of `catalog_changes` this process wrote (and published as it wrote them), while it follows the table:
    /// the follower skips them rather than forget the same entries twice.
    private let ownChanges = Mutex<(following: Bool, seqs: Set<Int64>)>((false, []))
    private let marker: ChangeMarker?

    /// Opens (creating and migrating if needed) the database at `path`.
    public static func open(path: String, logger: Logger = Logger(label: "tack.catalog")) async throws -> SQLiteCatalog {
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        var readers: [SQLiteConnection] = []
        do {
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000",
                           "PRAGMA foreign_keys=ON"] {
                _ = try await writer.query(pragma)
            }
            try await SQLiteSchema.migrate(writer.sql())
            var direct: [SQLiteDirectReader] = []
            for _ in 0..<max(1, min(4, System.coreCount)) {
                direct.append(try SQLiteDirectReader(path: path))
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                readers.append(reader)
                _ = try await reader.query("PRAGMA busy_timeout=10000")
                // Pages read through a shared mapping of the file, not copied into each connection's small cache: a
                // search that visits thousands of rows costs a fraction of the time (scripts/bench/browse).
                _ = try await reader.query("PRAGMA mmap_size=268435456")
            }
            // The last number handed out, even when pruning has emptied the table, so the first poll sees no gap.
            let seen = try await writer.sql().raw("""
                SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'catalog_changes'), 0) AS seq
                """).first()?.decode(column: "seq", as: Int64.self) ?? 0
            return SQLiteCatalog(writer: writer, readers: readers, direct: direct, changesSeen: seen,
                                 marker: ChangeMarker(path: path + "-changes"))
        } catch {
            for reader in readers { try? await reader.close() }
            try? await writer.close()
            throw error
        }
    }

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], direct: [SQLiteDirectReader], changesSeen: Int64,
                 marker: ChangeMarker?) {
        self.marker = marker
        self.writer = writer
        self.readers = ConnectionPool(readers)
        self.directReaders = ConnectionPool(direct)
        self.changesSeen = Mutex(changesSeen)
    }

    public func close() async {
        guard closed.withLock({ wasClosed in defer { wasClosed = true }; return !wasClosed }) else { return }
        try? await writer.close()
        for reader in readers.connections { try? await reader.close() }
        // Once none is in use: a query still running keeps its connection until it ends.
        await directReaders.withAll { for reader in $0 { reader.close() } }
    }

    deinit {
        // A catalog dropped without `close()` (a failed start-up, a test) still releases its files; the futures keep
        // the connections alive until SQLite has closed them. Never twice: SQLiteNIO crashes closing a closed one.
        if !closed.withLock({ $0 }) {
            _ = writer.close()
            for reader in readers.connections { _ = reader.close() }
        }
    }

    /// One statement through SQLKit on a reader connection of its own.
    func read(_ query: SQLQueryString) -> PooledQuery { PooledQuery(pool: readers, query: query) }

    /// One statement on a reader connection of its own, answered with SQLiteNIO's rows.
    func readRows(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        try await readers.with { try await $0.query(sql, binds) }
    }

    /// Rows of a short read bounded by an index (a row by key, a page by cursor) through a direct reader, or through
    /// SQLiteNIO when SQLite is busy.
    func readIndexed<T: Sendable>(_ sql: String, _ binds: [SQLiteData],
                                  row: (any CatalogColumns) throws -> T) async throws -> [T] {
        if let rows = try await directReaders.with({ try $0.query(sql, binds, row: row) }) { return rows }
        return try await readRows(sql, binds).map { try row(SQLiteColumns($0)) }
    }

    /// Runs `body` in one IMMEDIATE transaction (taking the write lock up front, so two processes never deadlock
    /// upgrading read locks); the changes it logs are recorded in the same transaction and published after COMMIT.
    func transaction<T: Sendable>(_ body: (any SQLDatabase, ChangeLog) async throws -> T) async throws -> T {
        let log = ChangeLog()
        let result = try await gate.run {
            let db = writer.sql()
            try await db.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(db, log)
                let now = Date().millis
                for event in log.events {
                    try await db.raw("""
                        INSERT INTO room_events (room_id, kind, subject, at)
                        VALUES (\(bind: event.room.rawValue), \(bind: event.kind.rawValue), \(bind: event.subject), \(bind: now))
                        """).run()
                }
                var seqs: [Int64] = []
                for change in log.changes {
                    let (kind, subject) = change.encoded
                    if let row = try await db.raw("""
                        INSERT INTO catalog_changes (kind, subject, at) VALUES (\(bind: kind), \(bind: subject), \(bind: now))
                        RETURNING seq
                        """).first() {
                        seqs.append(try row.decode(column: "seq", as: Int64.self))
                    }
                }
                ownChanges.withLock { own in if own.following { own.seqs.formUnion(seqs) } }
                if let newest = seqs.max() { marker?.record(newest) }
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
        changes.publish(log.changes)
        return result
    }

    /// Publishes, every `interval`, the changes other processes recorded (an admin command revoking a token, another
    /// tackd on the same file), and forgets recorded changes older than `keep`. Runs until cancelled.
    /// Room events older than `keepEvents` are forgotten with them.
    public func followChanges(every interval: Duration, keep: Duration = .seconds(600),
                              keepEvents: Duration = .seconds(86_400)) async {
        ownChanges.withLock { $0.following = true }
        defer { ownChanges.withLock { $0 = (false, []) } }
        var lastPrune = ContinuousClock.now
        while !Task.isCancelled && !closed.withLock({ $0 }) {
            try? await Task.sleep(for: interval)
            try? await publishRecordedChanges()
            if ContinuousClock.now - lastPrune > keep {
                lastPrune = ContinuousClock.now
                let cutoff = Date().addingTimeInterval(-Double(keep.components.seconds)).millis
                let eventCutoff = Date().addingTimeInterval(-Double(keepEvents.components.seconds)).millis
                _ = try? await transaction { db, _ in
                    try await db.raw("DELETE FROM catalog_changes WHERE at < \(bind: cutoff)").run()
                    try await db.raw("DELETE FROM room_events WHERE at < \(bind: eventCutoff)").run()
                }
            }
        }
    }

    public func catchUp() async throws {
        guard let marker, marker.value > changesSeen.withLock({ $0 }) else { return }
        try await publishRecordedChanges()
    }

    /// Publishes the changes other processes recorded since the last call (see `RecordedChanges`).
    func publishRecordedChanges() async throws {
        let seen = changesSeen.withLock { $0 }
        let last = try await readRows(
            "SELECT seq FROM sqlite_sequence WHERE name = 'catalog_changes'", []).first.map { try SQLiteColumns($0).int64("seq") } ?? 0
        guard last > seen else { return }
        let rows = try await readRows(
            "SELECT seq, kind, subject FROM catalog_changes WHERE seq > ? ORDER BY seq LIMIT 10000", [.integer(Int(seen))])
            .map { row in
                let columns = SQLiteColumns(row)
                return (seq: try columns.int64("seq"), kind: columns.optionalText("kind") ?? "", subject: columns.optionalText("subject") ?? "")
            }
        let recorded = ownChanges.withLock { RecordedChanges(rows: rows, after: seen, last: last, own: &$0.seqs) }
        changes.publish(recorded.publish)
        changesSeen.withLock { $0 = max($0, recorded.seen) }
    }
}

extension SQLiteCatalog {
    public func catalogID() async throws -> String {
        guard let row = try await read("SELECT value FROM catalog_info WHERE key = 'id'").first() else {
            throw TackError(.corruptCatalog, "the catalog has no id (table catalog_info)")
        }
        return try row.decode(column: "value", as: String.self)
    }
}

enum PinKind: IdentifierKind { static let prefix = "pin" }

extension Date {
    /// Milliseconds since 1970: what the catalog stores, the same in SQLite and PostgreSQL.
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}

/// A statement built with SQLKit's interpolation, run on a pooled reader connection when it is awaited.
struct PooledQuery {
    let pool: ConnectionPool<SQLiteConnection>
    let query: SQLQueryString

    func first() async throws -> (any SQLRow)? {
        try await all().first
    }

    func all() async throws -> [any SQLRow] {
        let query = self.query
        return try await pool.with { try await $0.sql().raw(query).all() }
    }
}
