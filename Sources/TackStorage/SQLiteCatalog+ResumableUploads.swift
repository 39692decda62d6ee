import Foundation
import SQLiteKit
import TackCore

/// SQLiteCatalog: tus uploads, whose offset only ever moves forward from where a PATCH found it.
extension SQLiteCatalog {
    public func createResumableUpload(_ upload: ResumableUpload) async throws {
        try await transaction { db, _ in
            try await db.raw("""
                INSERT INTO resumable_uploads (\(unsafeRaw: CatalogRows.resumableUploadColumns))
                VALUES (\(bind: upload.id.rawValue), \(bind: upload.room.rawValue), \(bind: upload.uploader),
                        \(bind: upload.length), \(bind: upload.offset), \(bind: upload.name), \(bind: upload.declaredType),
                        \(bind: upload.message), \(bind: upload.metadata), \(bind: upload.isScreenshot ? 1 : 0),
                        \(bind: upload.createdAt.millis), \(bind: upload.expiresAt.millis), \(bind: upload.attachment?.rawValue),
                        \(bind: upload.idempotencyKey))
                """).run()
        }
    }

    public func resumableUpload(_ id: UploadID) async throws -> ResumableUpload? {
        try await readIndexed("SELECT \(CatalogRows.resumableUploadColumns) FROM resumable_uploads WHERE id = ?",
                              [.text(id.rawValue)], row: CatalogRows.resumableUpload).first
    }

    public func resumableUpload(uploader: String, idempotencyKey: String, at now: Date) async throws -> ResumableUpload? {
        try await readRows("""
            SELECT \(CatalogRows.resumableUploadColumns) FROM resumable_uploads
            WHERE uploader = ? AND idempotency_key = ? AND expires_at > ? ORDER BY created_at DESC LIMIT 1
            """, [.text(uploader), .text(idempotencyKey), .integer(Int(now.millis))]).map { try CatalogRows.resumableUpload(SQLiteColumns($0)) }.first
    }

    public func advanceResumableUpload(_ id: UploadID, from offset: Int64, to newOffset: Int64, length: Int64?,
                                       expiresAt: Date) async throws -> Bool {
        try await transaction { db, _ in
            // The length, once known, never changes: a deferred one is set by the first PATCH that names it.
            try await db.raw("""
                UPDATE resumable_uploads SET received = \(bind: newOffset), length = COALESCE(length, \(bind: length)),
                       expires_at = \(bind: expiresAt.millis)
                WHERE id = \(bind: id.rawValue) AND received = \(bind: offset) AND attachment_id IS NULL
                  AND \(bind: newOffset) >= received
                  AND COALESCE(length, \(bind: length), \(bind: newOffset)) >= \(bind: newOffset)
                RETURNING id
                """).first() != nil
        }
    }

    public func completeResumableUpload(_ id: UploadID, attachment: AttachmentID) async throws {
        try await transaction { db, _ in
            try await db.raw("""
                UPDATE resumable_uploads SET attachment_id = \(bind: attachment.rawValue) WHERE id = \(bind: id.rawValue)
                """).run()
        }
    }

    public func deleteResumableUpload(_ id: UploadID) async throws -> Bool {
        try await transaction { db, _ in
            try await db.raw("DELETE FROM resumable_uploads WHERE id = \(bind: id.rawValue) RETURNING id").first() != nil
        }
    }

    public func reservedResumableBytes(of user: String, excluding: UploadID?, at now: Date) async throws -> Int64 {
        let rows = try await readRows("""
            SELECT COALESCE(SUM(COALESCE(length, received)), 0) AS reserved FROM resumable_uploads
            WHERE uploader = ? AND attachment_id IS NULL AND expires_at > ? AND id != ?
            """, [.text(user), .integer(Int(now.millis)), .text(excluding?.rawValue ?? "")])
        return Int64(rows.first.flatMap { SQLiteColumns($0).optionalInt("reserved") } ?? 0)
    }

    public func resumableUploadsToSweep(at now: Date, limit: Int) async throws -> [ResumableUpload] {
        try await readRows("""
            SELECT \(CatalogRows.resumableUploadColumns) FROM resumable_uploads
            WHERE expires_at <= ? OR (attachment_id IS NULL AND received = length)
            ORDER BY expires_at LIMIT ?
            """, [.integer(Int(now.millis)), .integer(limit)]).map { try CatalogRows.resumableUpload(SQLiteColumns($0)) }
    }

}
