import Foundation
import TackCore

/// What one collection did.
public struct CollectionReport: Sendable, Equatable {
    public var examined = 0
    public var removed = 0
    public var removedBytes: Int64 = 0
    public var restored = 0
    public var sweptStaging = 0
}

/// Removes blobs nothing references and staging that crashed writers left, safely while tackd serves.
///
/// A blob is first quarantined (taken out of sight), then its references and pins are checked again: an upload
/// that pinned the hash before the quarantine finds it restored, and one that pins after finds no blob and
/// stores its own copy. Either way nothing that is referenced is ever deleted.
public struct GarbageCollector: Sendable {
    public let blobs: any BlobStore
    public let catalog: any Catalog
    /// Staging older than this is removed even if its writer still runs (it has stalled for far too long).
    public var stagingAge: Duration = .seconds(24 * 3600)
    /// Called with the blob's hash at each point where an upload of the same bytes may land; tests run one there,
    /// to prove each interleaving rather than hope a race hits it.
    public var between: (@Sendable (Step, ContentHash) async throws -> Void)?

    /// The points between a collection's steps, for one blob.
    public enum Step: Sendable, Equatable, CaseIterable {
        /// Found unreferenced and unpinned, not yet quarantined.
        case foundUnused
        /// Quarantined, not yet checked again.
        case quarantined
        /// Checked again and still unused, not yet purged.
        case decidedToPurge
    }

    public init(blobs: any BlobStore, catalog: any Catalog) {
        self.blobs = blobs
        self.catalog = catalog
    }

    public func collect() async throws -> CollectionReport {
        var report = CollectionReport()
        for leftover in try await blobs.quarantinedBlobs() {
            try await settle(leftover, report: &report)
        }
        for hash in try await blobs.allHashes() {
            report.examined += 1
            guard try await !catalog.isInUse(hash, at: Date()) else { continue }
            let size = try await blobs.size(of: hash) ?? 0
            try await between?(.foundUnused, hash)
            guard let quarantined = try await blobs.quarantine(hash) else { continue }
            try await between?(.quarantined, hash)
            if try await settle(quarantined, report: &report) { report.removedBytes += size }
        }
        report.sweptStaging = try await blobs.sweepStaging(olderThan: stagingAge)
        return report
    }

    /// Purges a quarantined blob unless something references or pins it now; true when purged.
    @discardableResult
    private func settle(_ blob: QuarantinedBlob, report: inout CollectionReport) async throws -> Bool {
        if try await catalog.isInUse(blob.hash, at: Date()) {
            try await blobs.restore(blob)
            report.restored += 1
            return false
        }
        try await between?(.decidedToPurge, blob.hash)
        try await blobs.purge(blob)
        try await catalog.forgetBlob(blob.hash)
        report.removed += 1
        return true
    }
}
