import Foundation
import SQLiteKit
import TackCore

/// SQLiteCatalog: the keys that sign attachment links.
extension SQLiteCatalog {
    public func linkKeys() async throws -> [LinkKey] {
        try await readRows("SELECT id, secret, created_at FROM link_keys ORDER BY created_at DESC, id DESC", []).map { row in
            let columns = SQLiteColumns(row)
            let hex = try columns.text("secret")
            guard let secret = ContentHash(hex: hex)?.bytes else {
                throw TackError(.corruptCatalog, "link key \(try columns.text("id")) has a malformed secret")
            }
            return LinkKey(id: try columns.text("id"), secret: secret, createdAt: Date(millis: try columns.int64("created_at")))
        }
    }

    public func addLinkKey(_ key: LinkKey) async throws {
        guard let hex = ContentHash(bytes: key.secret)?.hex else {
            throw TackError(.internal, "a link key's secret must be 32 bytes")
        }
        try await transaction { db, log in
            log.record(.linkKeys)
            try await db.raw("""
                INSERT INTO link_keys (id, secret, created_at) VALUES (\(bind: key.id), \(bind: hex), \(bind: key.createdAt.millis))
                """).run()
        }
    }

    public func forgetLinkKey(id: String) async throws -> Bool {
        try await transaction { db, log in
            log.record(.linkKeys)
            return try await db.raw("DELETE FROM link_keys WHERE id = \(bind: id) RETURNING id").first() != nil
        }
    }

    public func isActiveUser(_ name: String) async throws -> Bool {
        try await readIndexed("SELECT 1 AS one FROM users WHERE name = ? AND removed_at IS NULL", [.text(name)]) {
            try $0.int64("one")
        }.isEmpty == false
    }
}
