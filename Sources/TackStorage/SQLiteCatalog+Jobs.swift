import Foundation
import SQLiteKit
import TackCore

/// SQLiteCatalog: the durable job queue. One process serves an SQLite file, so claims never race another
/// instance; PostgresCatalog, shared by several, claims with `FOR UPDATE SKIP LOCKED`.
extension SQLiteCatalog {
    static let jobColumns = "id, kind, subject, state, attempts, run_after, lease_owner, lease_until, last_error, created_at"

    public func enqueueJob(_ kind: JobKind, subject: String, at now: Date, maxQueued: Int) async throws -> Bool {
        try await transaction { db, _ in
            try await db.raw("""
                INSERT INTO jobs (kind, subject, state, attempts, run_after, created_at)
                SELECT \(bind: kind.rawValue), \(bind: subject), 'queued', 0, \(bind: now.millis), \(bind: now.millis)
                WHERE (SELECT COUNT(*) FROM jobs WHERE kind = \(bind: kind.rawValue) AND state = 'queued') < \(bind: maxQueued)
                ON CONFLICT (kind, subject) DO NOTHING
                RETURNING id
                """).first() != nil
        }
    }

    public func claimJobs(
        _ kinds: [JobKind], owner: String, limit: Int, lease: Duration, maxAttempts: Int, at now: Date
    ) async throws -> [Job] {
        guard !kinds.isEmpty, limit > 0 else { return [] }
        let until = now.addingTimeInterval(Double(lease.components.seconds)).millis
        let rows = try await transaction { db, _ in
            // A job whose runners keep dying while they hold it (a decoder that takes the process down) is not handed
            // to the next one forever.
            try await db.raw("""
                UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL,
                                last_error = 'its runner stopped while running it, ' || attempts || ' times'
                WHERE kind IN (\(binds: kinds.map(\.rawValue))) AND state = 'running'
                  AND lease_until <= \(bind: now.millis) AND attempts >= \(bind: maxAttempts)
                """).run()
            return try await db.raw("""
                UPDATE jobs SET state = 'running', lease_owner = \(bind: owner), lease_until = \(bind: until),
                                attempts = attempts + 1
                WHERE id IN (SELECT id FROM jobs WHERE kind IN (\(binds: kinds.map(\.rawValue)))
                               AND ((state = 'queued' AND run_after <= \(bind: now.millis))
                                    OR (state = 'running' AND lease_until <= \(bind: now.millis)))
                             ORDER BY id LIMIT \(bind: limit))
                RETURNING \(unsafeRaw: Self.jobColumns)
                """).all()
        }
        return try rows.map(Self.job).sorted { $0.id < $1.id }
    }

    public func finishJob(_ id: Int64, owner: String) async throws -> Bool {
        try await transaction { db, _ in
            try await db.raw("""
                DELETE FROM jobs WHERE id = \(bind: id) AND state = 'running' AND lease_owner = \(bind: owner) RETURNING id
                """).first() != nil
        }
    }

    public func failJob(_ id: Int64, owner: String, error: String, retryAt: Date?) async throws {
        try await transaction { db, _ in
            try await db.raw("""
                UPDATE jobs SET state = \(bind: retryAt == nil ? JobState.failed.rawValue : JobState.queued.rawValue),
                                run_after = COALESCE(\(bind: retryAt?.millis), run_after), last_error = \(bind: error),
                                lease_owner = NULL, lease_until = NULL
                WHERE id = \(bind: id) AND state = 'running' AND lease_owner = \(bind: owner)
                """).run()
        }
    }

    public func releaseJobs(owner: String) async throws {
        try await transaction { db, _ in
            try await db.raw("""
                UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL, attempts = MAX(attempts - 1, 0)
                WHERE state = 'running' AND lease_owner = \(bind: owner)
                """).run()
        }
    }

    public func retryFailedJobs(at now: Date) async throws -> Int {
        try await transaction { db, _ in
            try await db.raw("""
                UPDATE jobs SET state = 'queued', attempts = 0, run_after = \(bind: now.millis) WHERE state = 'failed'
                RETURNING id
                """).all().count
        }
    }

    public func jobs(limit: Int) async throws -> [Job] {
        try await read("SELECT \(unsafeRaw: Self.jobColumns) FROM jobs ORDER BY id LIMIT \(bind: limit)").all().map(Self.job)
    }

    static func job(_ row: any SQLRow) throws -> Job {
        let kind = try row.decode(column: "kind", as: String.self)
        let state = try row.decode(column: "state", as: String.self)
        guard let jobKind = JobKind(rawValue: kind), let jobState = JobState(rawValue: state) else {
            throw TackError(.corruptCatalog, "the jobs table holds a \(state) job of unknown kind \(kind)")
        }
        return Job(
            id: try row.decode(column: "id", as: Int64.self), kind: jobKind,
            subject: try row.decode(column: "subject", as: String.self), state: jobState,
            attempts: try row.decode(column: "attempts", as: Int.self),
            runAfter: Date(millis: try row.decode(column: "run_after", as: Int64.self)),
            leaseOwner: try row.decode(column: "lease_owner", as: String?.self),
            leaseUntil: try row.decode(column: "lease_until", as: Int64?.self).map(Date.init(millis:)),
            lastError: try row.decode(column: "last_error", as: String?.self),
            createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
    }
}
