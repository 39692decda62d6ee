import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// SQLiteCatalog: users and their tokens, quotas and usage.
extension SQLiteCatalog {
    public func createUser(name: String, role: Role, tokenDigest: String, at date: Date) async throws -> User {
        try await transaction { db, _ in
            if try await db.raw("SELECT name FROM users WHERE name = \(bind: name)").first() != nil {
                throw TackError(.userExists, "a user named '\(name)' exists already")
            }
            try await db.raw("INSERT INTO users (name, role, created_at) VALUES (\(bind: name), \(bind: role.rawValue), \(bind: date.millis))").run()
            try await db.raw("INSERT INTO tokens (digest, user_name, created_at) VALUES (\(bind: tokenDigest), \(bind: name), \(bind: date.millis))").run()
            return User(name: name, role: role, createdAt: Date(millis: date.millis))
        }
    }

    public func addToken(user: String, tokenDigest: String, at date: Date) async throws {
        try await transaction { db, _ in
            guard try await db.raw("SELECT name FROM users WHERE name = \(bind: user) AND removed_at IS NULL").first() != nil else {
                throw TackError.notFound("user '\(user)'")
            }
            try await db.raw("INSERT INTO tokens (digest, user_name, created_at) VALUES (\(bind: tokenDigest), \(bind: user), \(bind: date.millis))").run()
        }
    }

    public func user(forTokenDigest digest: String) async throws -> User? {
        try await read("""
            SELECT u.name, u.role, u.created_at FROM tokens t JOIN users u ON u.name = t.user_name
            WHERE t.digest = \(bind: digest) AND u.removed_at IS NULL
            """).first().map(Self.user)
    }

    public func tokens(of user: String) async throws -> [TokenInfo] {
        try await read("SELECT digest, user_name, created_at FROM tokens WHERE user_name = \(bind: user) ORDER BY created_at, digest")
            .all().map { row in
                TokenInfo(id: TokenInfo.id(forDigest: try row.decode(column: "digest", as: String.self)),
                          user: try row.decode(column: "user_name", as: String.self),
                          createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
            }
    }

    public func revokeToken(id: String) async throws -> Bool {
        let prefix = id.hasPrefix("tok_") ? String(id.dropFirst(4)) : id
        // Ids are 16 hex digits; anything else names no token (and must not match a digest by a shorter prefix).
        guard prefix.count == 16, prefix.allSatisfy(\.isHexDigit) else { return false }
        return try await transaction { db, log in
            let rows = try await db.raw("SELECT digest, user_name FROM tokens WHERE substr(digest, 1, 16) = \(bind: prefix.lowercased())").all()
            guard rows.count == 1 else { return false }
            log.record(.user(try rows[0].decode(column: "user_name", as: String.self)))
            try await db.raw("DELETE FROM tokens WHERE substr(digest, 1, 16) = \(bind: prefix.lowercased())").run()
            return true
        }
    }

    public func removeUser(named name: String) async throws -> Bool {
        try await transaction { db, log in
            guard try await db.raw("SELECT name FROM users WHERE name = \(bind: name) AND removed_at IS NULL").first() != nil else {
                return false
            }
            try await db.raw("DELETE FROM tokens WHERE user_name = \(bind: name)").run()
            try await db.raw("UPDATE users SET removed_at = \(bind: Date().millis) WHERE name = \(bind: name)").run()
            log.record(.user(name))
            return true
        }
    }

    public func usage(of user: String) async throws -> Usage? {
        guard let row = try await read("SELECT used_bytes, quota_bytes FROM users WHERE name = \(bind: user)").first() else {
            return nil
        }
        return Usage(usedBytes: try row.decode(column: "used_bytes", as: Int64.self),
                     quotaBytes: try row.decode(column: "quota_bytes", as: Int64?.self))
    }

    public func setQuota(of user: String, to bytes: Int64?) async throws {
        try await transaction { db, _ in
            guard try await db.raw("SELECT name FROM users WHERE name = \(bind: user) AND removed_at IS NULL").first() != nil else {
                throw TackError.notFound("user '\(user)'")
            }
            try await db.raw("UPDATE users SET quota_bytes = \(bind: bytes) WHERE name = \(bind: user)").run()
        }
    }

    /// For inspection (tests, the admin tools); the service itself never asks.
    func user(named name: String) async throws -> User? {
        try await read("SELECT name, role, created_at FROM users WHERE name = \(bind: name) AND removed_at IS NULL")
            .first().map(Self.user)
    }

    static func user(_ row: any SQLRow) throws -> User {
        let roleText = try row.decode(column: "role", as: String.self)
        guard let role = Role(rawValue: roleText) else {
            throw TackError(.corruptCatalog, "user row has unknown role '\(roleText)'")
        }
        return User(name: try row.decode(column: "name", as: String.self), role: role,
                    createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
    }
}
