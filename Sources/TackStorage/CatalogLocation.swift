import Foundation
import TackCore

/// Where the catalog lives: an SQLite file (the embedded default, one machine) or a PostgreSQL database (several
/// instances), read from `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
public enum CatalogLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// The location `text` names; nil is the embedded default, `<storage>/tack.sqlite`. `password` is used when a
    /// PostgreSQL URL carries none.
    public static func parse(_ text: String?, storage: String, password: String? = nil) throws(TackError) -> CatalogLocation {
        guard let text else { return .sqlite(path: "\(storage)/tack.sqlite") }
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .invalid(.invalidSetting, "catalog 'sqlite:' names no file; use sqlite:PATH") }
            return .sqlite(path: path)
        }
        return .postgres(try PostgresLocation.parse(text, password: password))
    }

    /// The location for logs and errors, without a password.
    public var displayName: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let location): location.displayName
        }
    }

    /// Opens (creating and upgrading the tables if needed) the catalog here.
    public func open() async throws -> any OpenedCatalog {
        switch self {
        case .sqlite(let path): try await SQLiteCatalog.open(path: path)
        case .postgres(let location): try await PostgresCatalog.open(location)
        }
    }
}

/// A catalog a process opened and owns: while it serves, it follows the changes other processes make; it is closed
/// when the process is done with it.
public protocol OpenedCatalog: Catalog {
    /// Publishes other processes' changes as they are made and prunes old records of them, until cancelled.
    func followChanges(every interval: Duration, keep: Duration, keepEvents: Duration) async
    func close() async
}

extension SQLiteCatalog: OpenedCatalog {}
extension PostgresCatalog: OpenedCatalog {}
