import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// SQLiteCatalog: image facts and thumbnails.
extension SQLiteCatalog {
    public func recordImage(_ hash: ContentHash, info: ImageInfo) async throws {
        try await transaction { db, log in
            log.record(.blob(hash))
            let before = try await db.raw("""
                SELECT width, height, failure, pages, duration_ms, codec, looks_like_text FROM images WHERE sha256 = \(bind: hash.hex)
                """).first()
            let known = try before.map { row in
                ImageInfo(width: try row.decode(column: "width", as: Int?.self), height: try row.decode(column: "height", as: Int?.self),
                          failure: try row.decode(column: "failure", as: String?.self), pages: try row.decode(column: "pages", as: Int?.self),
                          durationMilliseconds: try row.decode(column: "duration_ms", as: Int64?.self),
                          codec: try row.decode(column: "codec", as: String?.self),
                          looksLikeText: try row.decode(column: "looks_like_text", as: Int?.self).map { $0 != 0 })
            }
            let info = info.keeping(known)
            if known != info {
                for row in try await db.raw("SELECT id, room_id FROM attachments WHERE sha256 = \(bind: hash.hex)").all() {
                    log.event(.attachmentThumbnailed, in: RoomID(rawValue: try row.decode(column: "room_id", as: String.self)),
                              subject: try row.decode(column: "id", as: String.self))
                }
            }
            try await db.raw("""
                INSERT INTO images (sha256, width, height, failure, pages, duration_ms, codec, looks_like_text) VALUES
                  (\(bind: hash.hex), \(bind: info.width), \(bind: info.height), \(bind: info.failure), \(bind: info.pages),
                   \(bind: info.durationMilliseconds), \(bind: info.codec), \(bind: info.looksLikeText.map { $0 ? 1 : 0 }))
                ON CONFLICT(sha256) DO UPDATE SET width = excluded.width, height = excluded.height, failure = excluded.failure,
                  pages = excluded.pages, duration_ms = excluded.duration_ms, codec = excluded.codec,
                  looks_like_text = excluded.looks_like_text
                """).run()
        }
    }

    public func thumbnail(of source: ContentHash, size: Int, method: String) async throws -> StoredThumbnail? {
        guard let row = try await read("""
            SELECT blob_sha256, content_type, width, height FROM thumbnails
            WHERE source_sha256 = \(bind: source.hex) AND size = \(bind: size) AND method = \(bind: method)
            """).first(),
              let blob = ContentHash(hex: try row.decode(column: "blob_sha256", as: String.self))
        else { return nil }
        return StoredThumbnail(source: source, size: size, method: method, blob: blob,
                               contentType: try row.decode(column: "content_type", as: String.self),
                               width: try row.decode(column: "width", as: Int.self),
                               height: try row.decode(column: "height", as: Int.self))
    }

    public func insertThumbnail(_ t: StoredThumbnail, releasing pin: String?) async throws {
        try await transaction { db, _ in
            let existing = try await db.raw("""
                SELECT blob_sha256 FROM thumbnails
                WHERE source_sha256 = \(bind: t.source.hex) AND size = \(bind: t.size) AND method = \(bind: t.method)
                """).first()
            if existing == nil {
                try await db.raw("""
                    INSERT INTO thumbnails (source_sha256, size, method, blob_sha256, content_type, width, height)
                    VALUES (\(bind: t.source.hex), \(bind: t.size), \(bind: t.method), \(bind: t.blob.hex),
                            \(bind: t.contentType), \(bind: t.width), \(bind: t.height))
                    """).run()
                try await db.raw("""
                    INSERT INTO blobs (sha256, size, refs) VALUES (\(bind: t.blob.hex), 0, 1)
                    ON CONFLICT(sha256) DO UPDATE SET refs = refs + 1
                    """).run()
            }
            if let pin { try await db.raw("DELETE FROM pins WHERE token = \(bind: pin)").run() }
        }
    }
}
