import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// SQLiteCatalog: pins, references and forgetting blobs.
extension SQLiteCatalog {
    public func pin(_ hash: ContentHash, until: Date) async throws -> String {
        let token = Identifier<PinKind>.make().rawValue
        try await transaction { db, _ in
            try await db.raw("INSERT INTO pins (token, sha256, until) VALUES (\(bind: token), \(bind: hash.hex), \(bind: until.millis))").run()
        }
        return token
    }

    public func releasePin(_ token: String) async throws {
        try await transaction { db, _ in try await db.raw("DELETE FROM pins WHERE token = \(bind: token)").run() }
    }

    /// For inspection (tests, the admin tools); the service itself never asks.
    func isPinned(_ hash: ContentHash, at now: Date) async throws -> Bool {
        try await read("SELECT token FROM pins WHERE sha256 = \(bind: hash.hex) AND until > \(bind: now.millis) LIMIT 1").first() != nil
    }

    /// For inspection (tests, the admin tools); the service itself never asks.
    func references(to hash: ContentHash) async throws -> Int {
        try await read("SELECT refs FROM blobs WHERE sha256 = \(bind: hash.hex)").first()?
            .decode(column: "refs", as: Int.self) ?? 0
    }

    public func isInUse(_ hash: ContentHash, at now: Date) async throws -> Bool {
        let row = try await read("""
            SELECT COALESCE((SELECT refs FROM blobs WHERE sha256 = \(bind: hash.hex)), 0) AS refs,
                   EXISTS(SELECT 1 FROM pins WHERE sha256 = \(bind: hash.hex) AND until > \(bind: now.millis)) AS pinned
            """).first()
        guard let row else { return false }
        return try row.decode(column: "refs", as: Int.self) > 0 || row.decode(column: "pinned", as: Bool.self)
    }

    public func forgetBlob(_ hash: ContentHash) async throws {
        try await transaction { db, _ in
            try await db.raw("DELETE FROM blobs WHERE sha256 = \(bind: hash.hex) AND refs <= 0").run()
            try await db.raw("DELETE FROM pins WHERE sha256 = \(bind: hash.hex) AND until <= \(bind: Date().millis)").run()
        }
    }
}
