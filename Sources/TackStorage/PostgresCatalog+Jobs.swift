import Foundation
import PostgresNIO
import TackCore

/// PostgresCatalog: the durable job queue, shared by every instance: a claim takes due rows under `FOR UPDATE SKIP
/// LOCKED`, so two instances claiming at once never take the same job, and a lease that lapses (its instance died)
/// lets another take it.
extension PostgresCatalog {
    static let jobColumns = "id, kind, subject, state, attempts, run_after, lease_owner, lease_until, last_error, created_at"

    public func enqueueJob(_ kind: JobKind, subject: String, at now: Date, maxQueued: Int) async throws -> Bool {
        try await transaction { db, _ in
            try await !db.rows("""
                INSERT INTO jobs (kind, subject, state, attempts, run_after, created_at)
                SELECT \(kind.rawValue), \(subject), 'queued', 0, \(now.millis), \(now.millis)
                WHERE (SELECT COUNT(*) FROM jobs WHERE kind = \(kind.rawValue) AND state = 'queued') < \(maxQueued)
                ON CONFLICT (kind, subject) DO NOTHING
                RETURNING id
                """).isEmpty
        }
    }

    public func claimJobs(
        _ kinds: [JobKind], owner: String, limit: Int, lease: Duration, maxAttempts: Int, at now: Date
    ) async throws -> [Job] {
        guard !kinds.isEmpty, limit > 0 else { return [] }
        let until = now.addingTimeInterval(Double(lease.components.seconds)).millis
        let kindList = Array(repeating: "?", count: kinds.count).joined(separator: ", ")
        let kindBinds = kinds.map { PostgresValue.text($0.rawValue) }
        let rows = try await transaction { db, _ in
            // A job whose runners keep dying while they hold it (a decoder that takes the process down) is not handed
            // to the next one forever.
            try await db.run(PostgresStatement("""
                UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL,
                                last_error = 'its runner stopped while running it, ' || attempts || ' times'
                WHERE kind IN (\(kindList)) AND state = 'running' AND lease_until <= ? AND attempts >= ?
                """, kindBinds + [.integer(now.millis), .integer(maxAttempts)]))
            return try await db.rows(PostgresStatement("""
                UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1
                WHERE id IN (SELECT id FROM jobs WHERE kind IN (\(kindList))
                               AND ((state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_until <= ?))
                             ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
                RETURNING \(Self.jobColumns)
                """, [.text(owner), .integer(until)] + kindBinds + [.integer(now.millis), .integer(now.millis), .integer(limit)]))
        }
        return try rows.map(CatalogRows.job).sorted { $0.id < $1.id }
    }

    public func finishJob(_ id: Int64, owner: String) async throws -> Bool {
        try await transaction { db, _ in
            try await !db.rows("""
                DELETE FROM jobs WHERE id = \(id) AND state = 'running' AND lease_owner = \(owner) RETURNING id
                """).isEmpty
        }
    }

    public func failJob(_ id: Int64, owner: String, error: String, retryAt: Date?) async throws {
        try await transaction { db, _ in
            try await db.run("""
                UPDATE jobs SET state = \(retryAt == nil ? JobState.failed.rawValue : JobState.queued.rawValue),
                                run_after = COALESCE(\(retryAt?.millis), run_after), last_error = \(error),
                                lease_owner = NULL, lease_until = NULL
                WHERE id = \(id) AND state = 'running' AND lease_owner = \(owner)
                """)
        }
    }

    public func releaseJobs(owner: String) async throws {
        try await transaction { db, _ in
            try await db.run("""
                UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL, attempts = GREATEST(attempts - 1, 0)
                WHERE state = 'running' AND lease_owner = \(owner)
                """)
        }
    }

    public func retryFailedJobs(at now: Date) async throws -> Int {
        try await transaction { db, _ in
            try await db.rows("""
                UPDATE jobs SET state = 'queued', attempts = 0, run_after = \(now.millis) WHERE state = 'failed' RETURNING id
                """).count
        }
    }

    public func jobs(limit: Int) async throws -> [Job] {
        try await rows(PostgresStatement("SELECT \(Self.jobColumns) FROM jobs ORDER BY id LIMIT ?", [.integer(limit)]))
            .map(CatalogRows.job)
    }
}

/// PostgresCatalog: tus uploads, whose offset only ever moves forward from where a PATCH found it.
extension PostgresCatalog {
    public func createResumableUpload(_ upload: ResumableUpload) async throws {
        try await transaction { db, _ in
            try await db.run(PostgresStatement("""
                INSERT INTO resumable_uploads (\(CatalogRows.resumableUploadColumns))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(upload.id.rawValue), .text(upload.room.rawValue), .text(upload.uploader),
                      .integer(upload.length), .integer(upload.offset), .text(upload.name), .text(upload.declaredType),
                      .text(upload.message), .text(upload.metadata), .integer(upload.isScreenshot ? 1 : 0),
                      .integer(upload.createdAt.millis), .integer(upload.expiresAt.millis),
                      .text(upload.attachment?.rawValue), .text(upload.idempotencyKey)]))
        }
    }

    public func resumableUpload(_ id: UploadID) async throws -> ResumableUpload? {
        try await rows(PostgresStatement("SELECT \(CatalogRows.resumableUploadColumns) FROM resumable_uploads WHERE id = ?",
                                         [.text(id.rawValue)])).first.map(CatalogRows.resumableUpload)
    }

    public func resumableUpload(uploader: String, idempotencyKey: String, at now: Date) async throws -> ResumableUpload? {
        try await rows(PostgresStatement("""
            SELECT \(CatalogRows.resumableUploadColumns) FROM resumable_uploads
            WHERE uploader = ? AND idempotency_key = ? AND expires_at > ? ORDER BY created_at DESC LIMIT 1
            """, [.text(uploader), .text(idempotencyKey), .integer(now.millis)])).first.map(CatalogRows.resumableUpload)
    }

    public func advanceResumableUpload(_ id: UploadID, from offset: Int64, to newOffset: Int64, length: Int64?,
                                       expiresAt: Date) async throws -> Bool {
        try await transaction { db, _ in
            // The length, once known, never changes: a deferred one is set by the first PATCH that names it.
            try await !db.rows("""
                UPDATE resumable_uploads SET received = \(newOffset), length = COALESCE(length, \(length)),
                       expires_at = \(expiresAt.millis)
                WHERE id = \(id.rawValue) AND received = \(offset) AND attachment_id IS NULL
                  AND \(newOffset) >= received
                  AND COALESCE(length, \(length), \(newOffset)) >= \(newOffset)
                RETURNING id
                """).isEmpty
        }
    }

    public func completeResumableUpload(_ id: UploadID, attachment: AttachmentID) async throws {
        try await transaction { db, _ in
            try await db.run("UPDATE resumable_uploads SET attachment_id = \(attachment.rawValue) WHERE id = \(id.rawValue)")
        }
    }

    public func deleteResumableUpload(_ id: UploadID) async throws -> Bool {
        try await transaction { db, _ in
            try await !db.rows("DELETE FROM resumable_uploads WHERE id = \(id.rawValue) RETURNING id").isEmpty
        }
    }

    public func reservedResumableBytes(of user: String, excluding: UploadID?, at now: Date) async throws -> Int64 {
        try await rows("""
            SELECT COALESCE(SUM(COALESCE(length, received)), 0)::bigint AS reserved FROM resumable_uploads
            WHERE uploader = \(user) AND attachment_id IS NULL AND expires_at > \(now.millis) AND id != \(excluding?.rawValue ?? "")
            """).first.map { try $0.int64("reserved") } ?? 0
    }

    public func resumableUploadsToSweep(at now: Date, limit: Int) async throws -> [ResumableUpload] {
        try await rows(PostgresStatement("""
            SELECT \(CatalogRows.resumableUploadColumns) FROM resumable_uploads
            WHERE expires_at <= ? OR (attachment_id IS NULL AND received = length)
            ORDER BY expires_at LIMIT ?
            """, [.integer(now.millis), .integer(limit)])).map(CatalogRows.resumableUpload)
    }
}
