import NIOCore
import Synchronization
import TackCore

/// Small blobs (thumbnails) held in memory by content hash, bounded in bytes, so a gallery's burst of requests costs
/// no file opens. Content addressing means nothing here is ever stale: a hash's bytes never change, and whether a
/// caller may see them is decided before it asks.
public final class BlobCache: Sendable {
    private let entries: Mutex<BoundedCache<ContentHash, ByteBuffer>>
    private let capacityBytes: Int64
    /// Larger blobs are streamed from the store every time: they would evict many small ones for one reader.
    public let maxBlobBytes: Int64

    /// A cache of at most `capacityBytes`; 0 keeps nothing.
    public init(capacityBytes: Int64, maxBlobBytes: Int64 = 1 << 20) {
        entries = Mutex(BoundedCache(capacity: Int(clamping: capacityBytes), cost: { $0.readableBytes }))
        self.maxBlobBytes = maxBlobBytes
        self.capacityBytes = capacityBytes
    }

    /// Bytes held now.
    public var heldBytes: Int { entries.withLock { $0.totalCost } }

    /// The whole blob, from memory or read from `blobs`; nil when it is larger than `maxBlobBytes` (stream it).
    public func bytes(of hash: ContentHash, in blobs: any BlobStore) async throws -> ByteBuffer? {
        if let held = entries.withLock({ $0.value(for: hash) }) { return held }
        guard let size = try await blobs.size(of: hash) else { throw BlobStoreError.missing(hash) }
        // What the cache could not keep is streamed, never read whole (a cache of 0 bytes keeps nothing).
        guard size <= maxBlobBytes, size <= capacityBytes / 2 else { return nil }
        var whole = ByteBuffer()
        whole.reserveCapacity(Int(size))
        try await blobs.read(hash, range: nil) { chunk in
            var chunk = chunk
            whole.writeBuffer(&chunk)
        }
        let bytes = whole
        entries.withLock { $0.insert(bytes, for: hash) }
        return bytes
    }
}
