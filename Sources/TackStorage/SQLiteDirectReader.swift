import CSQLiteShim
import SQLiteNIO
import TackCore
// SQLiteNIO's bundled SQLite, imported as the module its own target builds (a transitive dependency SwiftPM makes
// visible). It has to be this copy and not Debian's libsqlite3: two copies of SQLite in one process do not see each
// other's POSIX locks, and a file closed by one drops the locks the other holds (sqlite.org/howtocorrupt.html, 2.2.1).
import VaporCSQLite

/// A read-only catalog connection through SQLite's C API that keeps every statement it has run prepared, and runs
/// them on the calling thread.
///
/// SQLiteNIO prepares each statement anew and hops to a thread pool and back for every query; for a 50-row page of a
/// big room that was a third of tackd's time (see the README's "Reads"). Only short reads bounded by an index (a row
/// by key, a page by cursor) come here, since they run on a cooperative thread; searches and counts stay on
/// SQLiteNIO's threads. SQLite's busy timeout is zero, so a read never sleeps on the caller's thread: when the
/// database is busy (a checkpoint or recovery in the way) the answer is nil, and the caller asks SQLiteNIO instead.
final class SQLiteDirectReader: @unchecked Sendable {
    // @unchecked: the handle and the statement cache are used by one task at a time, checked out of a
    // `ConnectionPool` whose Mutex hands each reader to one holder and orders its memory between holders.
    /// Nil once closed.
    private var db: OpaquePointer?
    private var statements: [String: PreparedStatement] = [:]

    /// A statement kept prepared, with its columns' indexes by name.
    private struct PreparedStatement {
        let handle: OpaquePointer
        let columns: [String: Int32]
    }

    init(path: String) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close_v2(handle)
            throw TackError(.internal, "could not open the catalog \(path) for reading: \(message)")
        }
        db = handle
        // Without it, SQLite 3.53 prepares a statement again whenever a value its plan looked at (a LIMIT, a range
        // bound such as the page cursor) is bound anew, which undid the point of keeping it prepared.
        guard tack_sqlite_enable_qpsg(UnsafeMutableRawPointer(handle)) == 0 else {
            // Through close(), which forgets the handle: deinit runs for a class whose init throws once every
            // property is set, and must not close it again.
            close()
            throw TackError(.internal, "could not configure the catalog reader for \(path)")
        }
        // No busy timeout is set: SQLite's default is none, so a locked file answers SQLITE_BUSY at once.
        // Pages through a shared mapping of the file rather than copied into each connection's cache, as the other
        // readers do.
        sqlite_nio_sqlite3_exec(db, "PRAGMA mmap_size=268435456", nil, nil, nil)
    }

    deinit { close() }

    /// Finalizes the statements and closes the file; later queries throw.
    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement.handle) }
        statements = [:]
        sqlite_nio_sqlite3_close_v2(db)
        db = nil
    }

    /// The rows `sql` gives for `binds`, each made by `row`; nil when the database is busy. The statement is reset
    /// before this returns, so the connection holds no read snapshot between queries.
    func query<T>(_ sql: String, _ binds: [SQLiteData], row: (DirectRow) throws -> T) throws -> [T]? {
        // Preparing reads the schema, so it can find the file locked too.
        guard let statement = try prepared(sql) else { return nil }
        let handle = statement.handle
        defer {
            sqlite_nio_sqlite3_reset(handle)
            sqlite_nio_sqlite3_clear_bindings(handle)
        }
        for (offset, value) in binds.enumerated() { try bind(value, at: Int32(offset + 1), in: handle) }
        var rows: [T] = []
        while true {
            switch sqlite_nio_sqlite3_step(handle) {
            case SQLITE_ROW:
                rows.append(try row(DirectRow(handle: handle, columns: statement.columns)))
            case SQLITE_DONE:
                return rows
            case let status where Self.isBusy(status):
                return nil
            case let status:
                throw failure(status, sql)
            }
        }
    }

    /// How many times SQLite has had to prepare `sql` again since this reader first did (it should not have to).
    func timesPreparedAgain(_ sql: String) -> Int32 {
        statements[sql].map { sqlite_nio_sqlite3_stmt_status($0.handle, SQLITE_STMTSTATUS_REPREPARE, 0) } ?? 0
    }

    private static func isBusy(_ status: Int32) -> Bool {
        status & 0xff == SQLITE_BUSY || status & 0xff == SQLITE_LOCKED
    }

    /// The statement for `sql`, prepared on first use; nil when the file is locked.
    private func prepared(_ sql: String) throws -> PreparedStatement? {
        if let statement = statements[sql] { return statement }
        guard let db else { throw TackError(.internal, "the catalog is closed") }
        var handle: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        if Self.isBusy(status) { return nil }
        guard status == SQLITE_OK, let handle else { throw failure(status, sql) }
        var columns: [String: Int32] = [:]
        for index in 0..<sqlite_nio_sqlite3_column_count(handle) {
            columns[String(cString: sqlite_nio_sqlite3_column_name(handle, index))] = index
        }
        let statement = PreparedStatement(handle: handle, columns: columns)
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteData, at index: Int32, in handle: OpaquePointer) throws {
        let status: Int32
        switch value {
        case .integer(let integer): status = sqlite_nio_sqlite3_bind_int64(handle, index, Int64(integer))
        case .float(let double): status = sqlite_nio_sqlite3_bind_double(handle, index, double)
        case .text(let text):
            // SQLITE_TRANSIENT: SQLite copies the bytes, which live only for this call.
            status = sqlite_nio_sqlite3_bind_text(handle, index, text, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        case .blob(let buffer):
            status = buffer.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(handle, index, bytes.baseAddress, UInt64(bytes.count),
                                               unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            }
        case .null: status = sqlite_nio_sqlite3_bind_null(handle, index)
        }
        guard status == SQLITE_OK else { throw failure(status, "binding parameter \(index)") }
    }

    private func failure(_ status: Int32, _ context: String) -> TackError {
        TackError(.internal, "catalog read failed (\(String(cString: sqlite_nio_sqlite3_errstr(status)))): \(context)")
    }
}

/// The current row of a `SQLiteDirectReader` query, read by column name; valid only inside the row callback.
struct DirectRow: CatalogColumns {
    let handle: OpaquePointer
    let columns: [String: Int32]

    private func index(_ name: String) -> Int32? {
        guard let index = columns[name], sqlite_nio_sqlite3_column_type(handle, index) != SQLITE_NULL else { return nil }
        return index
    }

    func optionalText(_ name: String) -> String? {
        guard let index = index(name), let bytes = sqlite_nio_sqlite3_column_text(handle, index) else { return nil }
        let count = Int(sqlite_nio_sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func optionalInt(_ name: String) -> Int? {
        guard let index = index(name), sqlite_nio_sqlite3_column_type(handle, index) == SQLITE_INTEGER else { return nil }
        return Int(sqlite_nio_sqlite3_column_int64(handle, index))
    }
}

/// A catalog row's columns by name, whichever way the row was read.
protocol CatalogColumns {
    func optionalText(_ name: String) -> String?
    func optionalInt(_ name: String) -> Int?
}

extension CatalogColumns {
    func text(_ name: String) throws -> String {
        guard let value = optionalText(name) else { throw missing(name) }
        return value
    }

    func int64(_ name: String) throws -> Int64 {
        guard let value = optionalInt(name) else { throw missing(name) }
        return Int64(value)
    }

    private func missing(_ name: String) -> TackError {
        TackError(.corruptCatalog, "catalog row lacks a value for '\(name)'")
    }
}
