import NIOCore
import NIOFileSystem
import TackCore

/// What one pass of a blob migration did.
public struct MigrationReport: Sendable, Equatable {
    public var copied = 0
    public var copiedBytes: Int64 = 0
    /// Blobs the destination held already (an earlier, interrupted pass copied them).
    public var present = 0
    /// Blobs an interrupted gc left quarantined in the source, not copied: `tackd gc` settles them first.
    public var quarantined = 0

    public init(copied: Int = 0, copiedBytes: Int64 = 0, present: Int = 0) {
        self.copied = copied
        self.copiedBytes = copiedBytes
        self.present = present
    }
}

/// Copies every blob of one store into another, each checked against its address (its SHA-256) as it lands.
///
/// Safe to interrupt and run again: a blob is visible at the destination only once it is whole and verified, so
/// the next pass skips exactly the ones already done, and staging an interrupted pass left is swept like any
/// crashed upload's. The catalog does not change: blobs keep their addresses wherever they live.
public struct BlobMigration: Sendable {
    public let source: any BlobStore
    public let destination: any BlobStore

    public init(from source: any BlobStore, to destination: any BlobStore) {
        self.source = source
        self.destination = destination
    }

    /// Runs one pass; `progress` hears about each blob as it is settled.
    public func run(progress: @Sendable (MigrationReport) -> Void = { _ in }) async throws -> MigrationReport {
        var report = MigrationReport()
        for hash in try await source.allHashes() {
            guard let size = try await source.size(of: hash) else { continue }  // collected since it was listed
            if try await destination.size(of: hash) == size {
                report.present += 1
            } else {
                try await copy(hash)
                report.copied += 1
                report.copiedBytes += size
            }
            progress(report)
        }
        report.quarantined = try await source.quarantinedBlobs().count
        return report
    }

    /// Streams the source's bytes from a local file (the blob itself for a folder store; a downloaded copy for a
    /// bucket), so memory stays bounded whatever the blob's size.
    func copy(_ hash: ContentHash) async throws {
        let destination = destination
        try await source.withLocalFile(hash) { path in
            let staged = try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                try await destination.stage(handle.readChunks(chunkLength: .mebibytes(1)), limit: .max, expected: hash)
            }
            do {
                _ = try await destination.publish(staged)
            } catch {
                await destination.discard(staged)
                throw error
            }
        }
    }
}
