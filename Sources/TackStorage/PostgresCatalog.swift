import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization
import TackCore

/// The catalog for several tackd instances: one PostgreSQL database they all share.
///
/// Every write is one transaction that first takes a database-wide advisory lock, so writes from all instances run
/// one at a time, as they do on SQLite: each transaction's checks (a name taken, a quota, a job's lease) hold until
/// it commits, numbers (room events, changes) are handed out in commit order, and no two writes deadlock. Reads run
/// side by side on the pool's other connections. Writes are short (a few rows each); the lock is where to look first
/// if many instances ever queue behind it.
///
/// Each write records what it changed in `catalog_changes` under a gapless counter and wakes the other instances
/// with NOTIFY; `catchUp` reads the counter before a cached answer, so a change another instance made is seen on the
/// very next request.
public final class PostgresCatalog: Catalog {
    let client: PostgresClient
    let logger: Logger
    public let location: PostgresLocation
    private let running: Task<Void, Never>
    private let closed = Mutex(false)
    public let changes = CatalogChanges()
    /// The newest change already published.
    private let changesSeen: Mutex<Int64>
    /// Changes this process wrote and published as it wrote them, while it follows the table: skipped, not
    /// published twice.
    private let ownChanges = Mutex<(following: Bool, seqs: Set<Int64>)>((false, []))

    /// The advisory lock every write transaction holds (an arbitrary number, the same in every instance).
    static let writeLock: Int64 = 0x7461_636B_7772_6974 // "tackwrit"
    /// The channel NOTIFY wakes followers on.
    static let changesChannel = "tack_catalog_changes"

    /// Connects (failing within `timeout` when the server cannot be reached or refuses), then creates or upgrades the
    /// tables.
    public static func open(_ location: PostgresLocation, timeout: Duration = .seconds(10),
                            logger: Logger = Logger(label: "tack.catalog")) async throws -> PostgresCatalog {
        // One connection of its own first: the pool retries a refused connection quietly and forever, and a start-up
        // must fail within the timeout saying why (refused, wrong password, no such database).
        let seen: Int64
        do {
            var direct = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: location.password,
                database: location.database, tls: try Self.connectionTLS(location.tls))
            direct.options.connectTimeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
            let configuration = direct
            seen = try await withDeadline(timeout, location: location) {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                do {
                    try await PostgresSchema.migrate(connection, logger: logger)
                    var seen: Int64 = 0
                    for try await value in try await connection.query("SELECT seq FROM change_counter", logger: logger)
                        .decode(Int64.self) { seen = value }
                    try await connection.close()
                    return seen
                } catch {
                    try? await connection.close()
                    throw error
                }
            }
        } catch {
            throw Self.described(error, location: location)
        }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: Self.tls(location.tls))
        configuration.options.connectTimeout = timeout
        configuration.options.maximumConnections = 16
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let running = Task { await client.run() }
        return PostgresCatalog(client: client, running: running, location: location, changesSeen: seen, logger: logger)
    }

    private init(client: PostgresClient, running: Task<Void, Never>, location: PostgresLocation, changesSeen: Int64,
                 logger: Logger) {
        self.client = client; self.running = running; self.location = location; self.logger = logger
        self.changesSeen = Mutex(changesSeen)
    }

    public func close() async {
        guard closed.withLock({ wasClosed in defer { wasClosed = true }; return !wasClosed }) else { return }
        running.cancel()
        await running.value
    }

    deinit { running.cancel() }

    private static func connectionTLS(_ mode: PostgresLocation.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    private static func tls(_ mode: PostgresLocation.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    // MARK: Statements

    /// Rows of one read statement, on a pooled connection.
    func rows(_ query: PostgresQuery) async throws -> [PostgresColumns] {
        do {
            return try await client.withConnection { connection in
                try await PostgresTransaction(connection: connection, logger: logger).rows(query)
            }
        } catch {
            throw Self.described(error, location: location)
        }
    }

    func rows(_ statement: PostgresStatement) async throws -> [PostgresColumns] { try await rows(statement.query) }

    /// Runs `body` in one transaction holding the write lock; the changes it logs are recorded in the same transaction
    /// and published once it commits.
    func transaction<T: Sendable>(_ body: (PostgresTransaction, ChangeLog) async throws -> T) async throws -> T {
        let logger = logger
        let result: T
        let changed: [CatalogChange]
        do {
            // The log lives and dies inside the transaction's closure; only its (Sendable) changes leave it.
            (result, changed) = try await client.withTransaction(logger: logger) { connection in
                let log = ChangeLog()
                let db = PostgresTransaction(connection: connection, logger: logger)
                try await db.run("SELECT pg_advisory_xact_lock(\(Self.writeLock))")
                let result = try await body(db, log)
                let now = Date().millis
                for event in log.events {
                    try await db.run("""
                        INSERT INTO room_events (room_id, kind, subject, at)
                        VALUES (\(event.room.rawValue), \(event.kind.rawValue), \(event.subject), \(now))
                        """)
                }
                if !log.changes.isEmpty {
                    let count = Int64(log.changes.count)
                    let last = try await db.rows("UPDATE change_counter SET seq = seq + \(count) RETURNING seq")
                        .first?.int64("seq") ?? 0
                    var seqs: [Int64] = []
                    for (offset, change) in log.changes.enumerated() {
                        let seq = last - count + 1 + Int64(offset)
                        let (kind, subject) = change.encoded
                        try await db.run("""
                            INSERT INTO catalog_changes (seq, kind, subject, at) VALUES (\(seq), \(kind), \(subject), \(now))
                            """)
                        seqs.append(seq)
                    }
                    ownChanges.withLock { own in if own.following { own.seqs.formUnion(seqs) } }
                    try await db.run("SELECT pg_notify(\(Self.changesChannel), \(String(last)))")
                }
                return (result, log.changes)
            }
        } catch let error as TackError {
            throw error
        } catch {
            throw Self.described(error, location: location)
        }
        changes.publish(changed)
        return result
    }

    // MARK: Changes

    /// Publishes the changes other instances make as they commit (woken by NOTIFY, and every `interval` in case a
    /// notification was lost with a connection), and forgets recorded changes older than `keep` and room events older
    /// than `keepEvents`. Runs until cancelled.
    public func followChanges(every interval: Duration, keep: Duration = .seconds(600),
                              keepEvents: Duration = .seconds(86_400)) async {
        ownChanges.withLock { $0.following = true }
        defer { ownChanges.withLock { $0 = (false, []) } }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                // NOTIFY only hurries the poll below along; a dropped connection is simply listened on again.
                while !Task.isCancelled {
                    _ = try? await client.withConnection { connection in
                        try await connection.listen(on: Self.changesChannel) { notifications in
                            for try await _ in notifications { try? await publishRecordedChanges() }
                        }
                    }
                    try? await Task.sleep(for: interval)
                }
            }
            var lastPrune = ContinuousClock.now
            while !Task.isCancelled && !closed.withLock({ $0 }) {
                try? await Task.sleep(for: interval)
                try? await publishRecordedChanges()
                if ContinuousClock.now - lastPrune > keep {
                    lastPrune = ContinuousClock.now
                    let cutoff = Date().addingTimeInterval(-Double(keep.components.seconds)).millis
                    let eventCutoff = Date().addingTimeInterval(-Double(keepEvents.components.seconds)).millis
                    _ = try? await transaction { db, _ in
                        try await db.run("DELETE FROM catalog_changes WHERE at < \(cutoff)")
                        try await db.run("DELETE FROM room_events WHERE at < \(eventCutoff)")
                    }
                }
            }
            group.cancelAll()
        }
    }

    public func catchUp() async throws {
        try await publishRecordedChanges()
    }

    /// Publishes the changes other instances recorded since the last call. Numbers have no gaps, so a gap means rows
    /// were pruned before this instance read them, and a row it cannot read names a change it cannot know: either way
    /// everything is forgotten, never too little.
    func publishRecordedChanges() async throws {
        let seen = changesSeen.withLock { $0 }
        let last = try await rows("SELECT seq FROM change_counter").first?.int64("seq") ?? 0
        guard last > seen else { return }
        let rows = try await rows("""
            SELECT seq, kind, subject FROM catalog_changes WHERE seq > \(seen) AND seq <= \(last) ORDER BY seq LIMIT 10000
            """)
        var missed = rows.isEmpty
        var expected = seen + 1
        var recorded: [(seq: Int64, change: CatalogChange?)] = []
        for row in rows {
            let seq = try row.int64("seq")
            if seq != expected { missed = true }
            expected = seq + 1
            recorded.append((seq, CatalogChange(kind: row.optionalText("kind") ?? "", subject: row.optionalText("subject") ?? "")))
        }
        // Published once: by whichever caller moves `changesSeen` past these numbers first.
        let fresh = changesSeen.withLock { current -> Bool in
            guard current == seen else { return false }
            current = max(current, rows.isEmpty ? last : expected - 1)
            return true
        }
        guard fresh else { return }
        let others = ownChanges.withLock { own in recorded.filter { own.seqs.remove($0.seq) == nil } }
        if others.contains(where: { $0.change == nil }) { missed = true }
        changes.publish(missed ? [.everything] : others.compactMap(\.change))
    }

    public func catalogID() async throws -> String {
        guard let row = try await rows("SELECT value FROM catalog_info WHERE key = 'id'").first else {
            throw TackError(.corruptCatalog, "the catalog has no id (table catalog_info)")
        }
        return try row.text("value")
    }

    // MARK: Errors

    /// PostgresNIO's errors hide the server's message from `description` (it may hold data); an operator needs it.
    static func described(_ error: any Error, location: PostgresLocation) -> any Error {
        if error is TackError || error is CancellationError { return error }
        guard let error = error as? PSQLError else {
            return TackError(.catalogUnavailable, "PostgreSQL at \(location.displayName): \(error)")
        }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            // 28xxx: authentication; 3D000: no such database; 08xxx: connection trouble.
            let code: ErrorCode = error.serverInfo?[.sqlState].map { $0.hasPrefix("28") || $0.hasPrefix("08") || $0 == "3D000" } == true
                ? .catalogUnavailable : .internal
            return TackError(code, "PostgreSQL at \(location.displayName): \(message)\(state)")
        }
        let underlying = error.underlying.map { ": \($0)" } ?? ""
        return TackError(.catalogUnavailable, "cannot reach PostgreSQL at \(location.displayName) (\(error.code))\(underlying)")
    }

    /// `body`, or a `catalog_unavailable` error once `timeout` has passed.
    private static func withDeadline<T: Sendable>(_ timeout: Duration, location: PostgresLocation,
                                                  _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TackError(.catalogUnavailable, "PostgreSQL at \(location.displayName) did not answer within \(timeout)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }
}

/// A connection inside one of the catalog's transactions (or lent for one read), with the statements' rows read
/// into `PostgresColumns`.
struct PostgresTransaction {
    let connection: PostgresConnection
    let logger: Logger

    func rows(_ query: PostgresQuery) async throws -> [PostgresColumns] {
        var rows: [PostgresColumns] = []
        for try await row in try await connection.query(query, logger: logger) {
            rows.append(PostgresColumns(row.makeRandomAccess()))
        }
        return rows
    }

    func rows(_ statement: PostgresStatement) async throws -> [PostgresColumns] { try await rows(statement.query) }

    func run(_ query: PostgresQuery) async throws {
        try await connection.query(query, logger: logger)
    }

    func run(_ statement: PostgresStatement) async throws { try await run(statement.query) }
}

/// A PostgreSQL row's columns, read as the SQLite catalog reads its rows: integers (booleans as 0 and 1) and text.
struct PostgresColumns: CatalogColumns, Sendable {
    private let row: PostgresRandomAccessRow

    init(_ row: PostgresRandomAccessRow) { self.row = row }

    func optionalText(_ name: String) -> String? {
        guard row.contains(name) else { return nil }
        return try? row[name].decode(String?.self)
    }

    func optionalInt(_ name: String) -> Int? {
        guard row.contains(name) else { return nil }
        let cell = row[name]
        if cell.dataType == .bool { return (try? cell.decode(Bool?.self))?.map { $0 ? 1 : 0 } }
        return try? cell.decode(Int?.self)
    }
}
