import NIOCore
import NIOFileSystem
import TackCore

/// Bytes written to a store and hashed, durable but not yet at their content address.
public struct StagedBlob: Sendable, Hashable {
    public let hash: ContentHash
    public let size: Int64
    /// Store-specific handle on the staged bytes (a temp path, an object key).
    public let location: String

    public init(hash: ContentHash, size: Int64, location: String) {
        self.hash = hash
        self.size = size
        self.location = location
    }
}

/// What publishing a staged blob did.
public enum PublishOutcome: Sendable, Equatable {
    /// The bytes were new and are now stored at their address.
    case stored
    /// The address held the same bytes already; the staged copy was dropped.
    case deduplicated
}

/// A blob taken out of sight by garbage collection, still recoverable until purged.
public struct QuarantinedBlob: Sendable, Hashable {
    public let hash: ContentHash
    public let location: String

    public init(hash: ContentHash, location: String) {
        self.hash = hash
        self.location = location
    }
}

/// Why a blob store refused or failed.
public enum BlobStoreError: Error, Sendable, Equatable {
    /// The body went past the limit; what was written has been removed.
    case tooLarge(limit: Int64)
    /// The body's SHA-256 differs from the one the client promised; nothing was kept.
    case digestMismatch(expected: ContentHash, actual: ContentHash)
    /// No blob is stored at this address.
    case missing(ContentHash)
    /// The store is marked as the blobs of another catalog (its id).
    case ownedByAnotherCatalog(String)
}

/// Content-addressed bytes: every blob lives at the SHA-256 of its contents, so identical files are stored once.
///
/// Writes are two-phase (`stage`, then `publish`) so that the catalog can pin a hash before it becomes visible,
/// which is what lets garbage collection run while uploads are in flight. Every implementation must pass
/// `BlobStoreContract` unchanged.
public protocol BlobStore: Sendable {
    /// Streams `body` to durable staging while hashing it. Throws `tooLarge` as soon as more than `limit` bytes
    /// arrive and `digestMismatch` when `expected` is given and differs; in both cases nothing is left behind.
    func stage<Body: AsyncSequence>(
        _ body: Body, limit: Int64, expected: ContentHash?
    ) async throws -> StagedBlob where Body.Element == ByteBuffer

    /// Stages the bytes of a complete, synced local file that nothing writes to any more (a finished resumable
    /// upload), leaving the file where it is. A store on the same file system may take the bytes as they are
    /// (a hard link) instead of copying them. Throws `tooLarge` past `limit`.
    func stage(file path: String, limit: Int64) async throws -> StagedBlob

    /// Moves staged bytes to their address atomically; readers see all of the blob or none of it.
    func publish(_ staged: StagedBlob) async throws -> PublishOutcome

    /// Drops staged bytes that will not be published.
    func discard(_ staged: StagedBlob) async

    /// The stored size, or nil when no blob has this address.
    func size(of hash: ContentHash) async throws -> Int64?

    /// Hands the blob's bytes (or the given inclusive range of them) to `consumer` in order, in bounded chunks.
    func read(
        _ hash: ContentHash, range: ClosedRange<Int64>?,
        into consumer: (ByteBuffer) async throws -> Void
    ) async throws

    /// Runs `body` with the path of a local file holding the blob's bytes, for libraries that read files
    /// incrementally (image decoders) instead of holding a whole blob in memory. The path is valid only inside
    /// `body` and must not be written to. Throws `missing` when no blob has this address.
    func withLocalFile<T: Sendable>(_ hash: ContentHash, _ body: @Sendable (String) async throws -> T) async throws -> T

    /// Every published address, for garbage collection.
    func allHashes() async throws -> [ContentHash]

    /// Takes a blob out of sight (new uploads will store it afresh); nil when it is not there.
    func quarantine(_ hash: ContentHash) async throws -> QuarantinedBlob?

    /// Puts a quarantined blob back, because something referenced it after all.
    func restore(_ blob: QuarantinedBlob) async throws

    /// Blobs a collector quarantined but never restored or purged (it was killed); the next one finishes the job.
    func quarantinedBlobs() async throws -> [QuarantinedBlob]

    /// Deletes a quarantined blob for good.
    func purge(_ blob: QuarantinedBlob) async throws

    /// Marks the store as holding the blobs of catalog `id`, or throws `ownedByAnotherCatalog` when another
    /// catalog's mark is there: two catalogs on one store would each collect the blobs only the other references.
    func claim(forCatalog id: String) async throws

    /// Removes staging left by crashed writers; `olderThan` also removes any staging not touched since then.
    /// Returns how many leftovers were removed.
    func sweepStaging(olderThan: Duration?) async throws -> Int
}

extension BlobStore {
    /// Streams the file's bytes into staging, as any upload's.
    public func stage(file path: String, limit: Int64) async throws -> StagedBlob {
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            try await stage(handle.readChunks(chunkLength: .mebibytes(1)), limit: limit, expected: nil)
        }
    }
}
