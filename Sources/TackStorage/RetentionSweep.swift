import Foundation
import TackCore

/// Deletes the attachments their room's retention no longer keeps (the room's `retentionDays`, else the server's
/// `retention_days`); their messages show them as removed by retention, and gc reclaims bytes nothing else uses.
public struct RetentionSweep: Sendable {
    public let catalog: any Catalog
    /// The server's `retention_days`; 0 keeps attachments of rooms without their own setting.
    public let defaultDays: Int
    /// Attachments looked at per catalog read, so a first sweep over years of files never holds them all at once.
    static let batch = 500

    public init(catalog: any Catalog, defaultDays: Int) {
        self.catalog = catalog
        self.defaultDays = defaultDays
    }

    /// What a sweep at `now` would delete, oldest first, up to `limit`.
    public func due(at now: Date, limit: Int = .max) async throws -> [Attachment] {
        try await catalog.attachmentsPastRetention(defaultDays: defaultDays, at: now, limit: limit)
    }

    /// Deletes everything due at `now`; returns what went.
    @discardableResult
    public func run(at now: Date) async throws -> [Attachment] {
        var removed: [Attachment] = []
        while true {
            let due = try await due(at: now, limit: Self.batch)
            for attachment in due {
                if let gone = try await catalog.deleteAttachment(attachment.id, reason: .retention) { removed.append(gone) }
            }
            if due.count < Self.batch { return removed }
        }
    }
}
