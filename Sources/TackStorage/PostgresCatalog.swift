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
    /// One of this process's writes waits for the database's write lock at a time; the others wait here holding no
    /// connection, so reads never queue behind writes for the pool.
    private let writeGate = SerialGate()
    /// Reads of the change counter, one at a time, so changes are published in order and `changesSeen` never passes
    /// what was published.
    private let publishGate = SerialGate()
    /// Calls to `publishRecordedChanges` handed out, and the newest one a completed read of the counter covered: a
    /// call made before a read began is answered by that read, so a burst of requests costs one round trip.
    private let publishCalls = Mutex<(issued: UInt64, covered: UInt64)>((0, 0))
    /// How long a write waits for the write lock before it gives up (`busy`): a stuck session elsewhere must not
    /// stall every instance forever.
    static let writeLockTimeout = "30s"

    /// The advisory lock every write transaction holds (an arbitrary number, the same in every instance).
    static let writeLock: Int64 = 0x7461_636B_7772_6974 // "tackwrit"
    /// The channel NOTIFY wakes followers on.
    static let changesChannel = "tack_catalog_changes"
    /// Names this catalog in its notifications (`ID:SEQ`), so its own follower is not woken by its own writes, which
    /// it published as it made them.
    let instance = UUID().uuidString

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
                database: location.database, tls: try Self.connectionTLS(location))
            direct.options.connectTimeout = .nanoseconds(Int64(timeout / .nanoseconds(1)))
            let configuration = direct
            let milliseconds = Int64(timeout / .milliseconds(1))
            seen = try await withDeadline(timeout, location: location) {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                do {
                    // A migration waiting on a stuck instance's lock ends with an error, not a hang: cancelling the
                    // task alone does not stop a statement the server is running.
                    try await connection.query(PostgresQuery(unsafeSQL: "SET statement_timeout = \(milliseconds)"), logger: logger)
                    try await connection.query(PostgresQuery(unsafeSQL: "SET lock_timeout = \(milliseconds)"), logger: logger)
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
            database: location.database, tls: Self.tls(location))
        configuration.options.connectTimeout = timeout
        configuration.options.maximumConnections = 16
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        // Started at once, not when the scheduler gets to it: a lease before run() has begun logs a warning.
        let running = Task.immediate { await client.run() }
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

    /// The TLS settings of `location`'s `sslmode`, as libpq reads them.
    static func tlsConfiguration(_ location: PostgresLocation) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch location.tls {
        case .disable, .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let roots = location.rootCertificates { configuration.trustRoots = .file(roots) }
        return configuration
    }

    private static func connectionTLS(_ location: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        switch location.tls {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration(location)))
        case .require, .verifyCA, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration(location)))
        }
    }

    private static func tls(_ location: PostgresLocation) -> PostgresClient.Configuration.TLS {
        switch location.tls {
        case .disable: .disable
        case .prefer: .prefer(tlsConfiguration(location))
        case .require, .verifyCA, .verifyFull: .require(tlsConfiguration(location))
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
        let outcome: (result: T, changes: [CatalogChange], seqs: [Int64])
        do {
            outcome = try await writeGate.run {
                // The log lives and dies inside the transaction's closure; only its (Sendable) changes leave it.
                try await client.withTransaction(logger: logger) { connection in
                    let log = ChangeLog()
                    let db = PostgresTransaction(connection: connection, logger: logger)
                    // One round trip: the wait's limit (for this transaction only), then the wait.
                    try await db.run("""
                        SELECT set_config('lock_timeout', \(Self.writeLockTimeout), true), pg_advisory_xact_lock(\(Self.writeLock))
                        """)
                    let result = try await body(db, log)
                    return (result, log.changes, try await Self.record(log, from: instance, on: db))
                }
            }
        } catch {
            let error = Self.described(error, location: location)
            // A commit that failed on the way back may have happened: forget everything rather than too little. A refusal
            // the body threw (a taken name, a quota) rolled everything back: there is nothing to forget.
            let refusals: Set<TackError.Category> = [.invalidInput, .notFound, .conflict, .tooLarge]
            if !(error is CancellationError), !((error as? TackError).map { refusals.contains($0.category) } ?? false) {
                changes.publish([.everything])
            }
            throw error
        }
        changes.publish(outcome.changes)
        // Known as this process's own only once committed: numbers a rolled-back write took are handed out again.
        // Numbers right after the newest seen (no other instance wrote in between, as on a single instance) simply
        // move it on: the next catch-up then reads the counter alone, not this write's records back.
        if let first = outcome.seqs.first, let last = outcome.seqs.last {
            let contiguous = last - first + 1 == Int64(outcome.seqs.count)
            let advanced = changesSeen.withLock { seen in
                guard contiguous, first == seen + 1 else { return false }
                seen = last
                return true
            }
            if !advanced {
                let seen = changesSeen.withLock { $0 }
                ownChanges.withLock { own in if own.following { own.seqs.formUnion(outcome.seqs.filter { $0 > seen }) } }
            }
        }
        return outcome.result
    }

    /// Records what the transaction logged and returns the changes' numbers, in one statement (every round trip here
    /// is spent holding the write lock):
    /// - room events, keeping the newest event's number in the counter row (a sequence's value is not transactional:
    ///   a reader would see numbers of events not yet committed);
    /// - changes, numbered from the same row (gapless: it rolls back with the transaction), and a NOTIFY that wakes
    ///   the other instances when there are any.
    /// The counter row is updated once, for both: a statement may not update a row twice.
    private static func record(_ log: ChangeLog, from instance: String, on db: PostgresTransaction) async throws -> [Int64] {
        guard !log.events.isEmpty || !log.changes.isEmpty else { return [] }
        let rooms = log.events.map(\.room.rawValue), kinds = log.events.map(\.kind.rawValue), subjects = log.events.map(\.subject)
        let count = Int64(log.changes.count)
        let changeKinds = log.changes.map(\.encoded.kind), changeSubjects = log.changes.map(\.encoded.subject)
        let now = Date().millis
        let last = try await db.rows("""
            WITH events AS (
                   INSERT INTO room_events (room_id, kind, subject, at)
                   SELECT e.room, e.kind, e.subject, \(now)
                   FROM unnest(\(rooms)::text[], \(kinds)::text[], \(subjects)::text[]) WITH ORDINALITY AS e(room, kind, subject, n)
                   ORDER BY e.n
                   RETURNING seq),
                 bumped AS (
                   UPDATE change_counter SET seq = seq + \(count), last_event = GREATEST(last_event, (SELECT MAX(seq) FROM events))
                   RETURNING seq),
                 added AS (
                   INSERT INTO catalog_changes (seq, kind, subject, at)
                   SELECT bumped.seq - \(count) + c.n, c.kind, c.subject, \(now)
                   FROM bumped, unnest(\(changeKinds)::text[], \(changeSubjects)::text[]) WITH ORDINALITY AS c(kind, subject, n)
                   RETURNING seq),
                 notified AS (SELECT pg_notify(\(changesChannel), \(instance + ":") || seq::text) FROM bumped WHERE \(count) > 0)
            SELECT seq, (SELECT COUNT(*) FROM notified) AS notifications FROM bumped
            """).first?.int64("seq") ?? 0
        return (0..<count).map { last - count + 1 + $0 }
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
                    do {
                        try await client.withConnection { connection in
                            try await connection.listen(on: Self.changesChannel) { notifications in
                                // A burst of notifications costs one read: calls made during a read join the next.
                                for try await notification in notifications where !notification.payload.hasPrefix(instance + ":") {
                                    try? await publishRecordedChanges()
                                }
                            }
                        }
                    } catch {
                        if !Task.isCancelled {
                            logger.warning("listening for other instances' changes failed; polling until it works again",
                                           metadata: ["error": "\(Self.described(error, location: location))"])
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

    /// Publishes the changes other instances recorded since the last call (see `RecordedChanges`). Returns only once
    /// every change committed before the call is published.
    func publishRecordedChanges() async throws {
        let ticket = publishCalls.withLock { calls in calls.issued += 1; return calls.issued }
        try await publishGate.run {
            let (issued, covered) = publishCalls.withLock { ($0.issued, $0.covered) }
            // A read that began after this call was made has run to the end already.
            guard covered < ticket else { return }
            try await readAndPublish()
            publishCalls.withLock { $0.covered = max($0.covered, issued) }
        }
    }

    private func readAndPublish() async throws {
        let seen = changesSeen.withLock { $0 }
        let last = try await rows("SELECT seq FROM change_counter").first?.int64("seq") ?? 0
        guard last > seen else { return }
        let rows = try await rows("""
            SELECT seq, kind, subject FROM catalog_changes WHERE seq > \(seen) AND seq <= \(last) ORDER BY seq LIMIT 10000
            """).map { (seq: try $0.int64("seq"), kind: $0.optionalText("kind") ?? "", subject: $0.optionalText("subject") ?? "") }
        let recorded = ownChanges.withLock { RecordedChanges(rows: rows, after: seen, last: last, own: &$0.seqs) }
        changes.publish(recorded.publish)
        changesSeen.withLock { $0 = max($0, recorded.seen) }
    }

    public func catalogID() async throws -> String {
        guard let row = try await rows("SELECT value FROM catalog_info WHERE key = 'id'").first else {
            throw TackError(.corruptCatalog, "the catalog has no id (table catalog_info)")
        }
        return try row.text("value")
    }

    // MARK: Errors

    /// The error a transaction's closure (or its BEGIN or COMMIT) threw, out of PostgresNIO's wrapper.
    static func unwrapped(_ error: any Error) -> any Error {
        guard let error = error as? PostgresTransactionError else { return error }
        return error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError
            ?? TackError(.internal, "a catalog transaction failed")
    }

    /// PostgresNIO's errors hide the server's message from `description` (it may hold data); an operator needs it,
    /// and a client needs the right status. The server's `detail` (row values) is never shown.
    static func described(_ error: any Error, location: PostgresLocation) -> any Error {
        let error = unwrapped(error)
        if error is TackError || error is CancellationError { return error }
        guard let error = error as? PSQLError else {
            return TackError(.catalogUnavailable, "PostgreSQL at \(location.displayName): \(error)")
        }
        guard let message = error.serverInfo?[.message] else {
            if let tls = error.underlying as? NIOSSLError, case .handshakeFailed = tls {
                return TackError(.catalogUnavailable, "PostgreSQL at \(location.displayName) did not pass the TLS check "
                    + "(sslmode=\(location.tls.rawValue)): with verify-ca or verify-full, name the certificates to trust "
                    + "with sslrootcert=PEM (\(tls))")
            }
            let underlying = error.underlying.map { ": \($0)" } ?? ""
            return TackError(.catalogUnavailable, "cannot reach PostgreSQL at \(location.displayName) (\(error.code))\(underlying)")
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        switch state {
        case "22021", "22P05":
            // Text PostgreSQL cannot store (a NUL character): the request's fault, not the server's.
            return TackError.invalid(.invalidText, "text must not contain a NUL character")
        case "55P03", "40001", "40P01":
            // Waited too long for the write lock, or a conflict worth retrying.
            return TackError(.busy, "the catalog is busy; try again (\(message), SQLSTATE \(state))")
        case _ where state.hasPrefix("28") || state.hasPrefix("08") || state.hasPrefix("57P") || state == "3D000" || state == "53300":
            // Authentication, no such database, connection trouble, the server stopping, starting or full.
            return TackError(.catalogUnavailable, "PostgreSQL at \(location.displayName): \(message) (SQLSTATE \(state))")
        default:
            return TackError(.internal, "PostgreSQL at \(location.displayName): \(message) (SQLSTATE \(state))")
        }
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
