import Foundation

/// What a background job does; each kind has its runner in the service.
public enum JobKind: String, Sendable, CaseIterable {
    /// Make an attachment's default thumbnail (subject: the attachment id).
    case thumbnail
    /// Read an attachment's text for search (subject: the attachment id).
    case text
}

/// Where a job is in its life; a finished job is deleted.
public enum JobState: String, Sendable {
    /// Waiting for `runAfter` and a runner.
    case queued
    /// Claimed by `leaseOwner` until `leaseUntil`; past it, another runner may claim it again.
    case running
    /// Out of attempts; kept with its last error for an operator to read (`tackd jobs`).
    case failed
}

/// A row of the durable job queue: background work that survives a restart and an instance's death.
public struct Job: Sendable, Equatable {
    public let id: Int64
    public let kind: JobKind
    public let subject: String
    public var state: JobState
    /// Claims so far, the current one included.
    public var attempts: Int
    public var runAfter: Date
    public var leaseOwner: String?
    public var leaseUntil: Date?
    public var lastError: String?
    public let createdAt: Date

    public init(id: Int64, kind: JobKind, subject: String, state: JobState, attempts: Int, runAfter: Date,
                leaseOwner: String?, leaseUntil: Date?, lastError: String?, createdAt: Date) {
        self.id = id
        self.kind = kind
        self.subject = subject
        self.state = state
        self.attempts = attempts
        self.runAfter = runAfter
        self.leaseOwner = leaseOwner
        self.leaseUntil = leaseUntil
        self.lastError = lastError
        self.createdAt = createdAt
    }
}

/// When a job that failed runs again: 2, 4, 8... seconds after the failure, at most `maximum`, and not at all once
/// `attempts` claims have failed.
public struct RetryBackoff: Sendable, Equatable {
    public var attempts: Int
    public var maximum: Duration

    public init(attempts: Int = 5, maximum: Duration = .seconds(600)) {
        self.attempts = attempts
        self.maximum = maximum
    }

    /// nil when the job is out of attempts.
    public func retry(after failedAttempts: Int, at now: Date) -> Date? {
        guard failedAttempts < attempts else { return nil }
        let seconds = min(Double(maximum.components.seconds), pow(2, Double(min(failedAttempts, 30))))
        return now.addingTimeInterval(seconds)
    }
}
