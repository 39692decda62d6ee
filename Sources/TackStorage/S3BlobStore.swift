import Crypto
import Foundation
import NIOCore
import NIOFileSystem
import Synchronization
import TackCore
import TackS3

/// Blobs in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO, SeaweedFS): `sha256/<hash>`, with `tmp/` for
/// staging and `trash/` for quarantine, all under the location's prefix.
///
/// Staging hashes the body as it arrives. A blob of at most `inlineLimit` bytes stays in memory until it is
/// published with one conditional PUT straight to its address (`If-None-Match: *`, so an existing copy is left
/// alone: one request in all for most files and every thumbnail). A larger one streams up as a multipart upload under `tmp/` (up to `partsInFlight`
/// parts sent while the next is read) and is published by a server-side copy to its address. S3 makes an object
/// visible whole or not at all, so no reader ever sees a partial object at an address, and several instances may
/// publish the same bytes at once: the last write changes nothing.
public struct S3BlobStore: BlobStore {
    public let s3: S3Client
    /// Size of each part of a multipart upload; S3 wants at least 5 MiB for all parts but the last.
    public let partSize: Int
    /// Parts of one upload on the wire at once; memory per upload is at most `(partsInFlight + 1) * partSize`.
    public let partsInFlight: Int
    /// Blobs up to this size are held in memory between staging and publishing, and sent once, to their address.
    public let inlineLimit: Int
    private let held = HeldBlobs()
    /// Largest object S3 copies in one request; larger ones are copied part by part.
    public let copyLimit: Int64
    /// Where `withLocalFile` puts the downloaded copy an image decoder reads.
    public let scratchFolder: String
    /// Staging nobody finished after this long is abandoned: other instances' uploads cannot be told apart from
    /// crashed ones, so age is the only sign `sweepStaging(olderThan: nil)` has.
    public static let abandonedAfter: Duration = .seconds(24 * 3600)

    public init(
        _ s3: S3Client, partSize: Int = 8 << 20, partsInFlight: Int = 3, inlineLimit: Int = 1 << 20,
        copyLimit: Int64 = 5 << 30, scratchFolder: String = NSTemporaryDirectory()
    ) {
        precondition(partSize >= 5 << 20, "S3 refuses parts under 5 MiB")
        precondition(inlineLimit <= partSize && partsInFlight >= 1)
        self.s3 = s3
        self.partSize = partSize
        self.partsInFlight = partsInFlight
        self.inlineLimit = inlineLimit
        self.copyLimit = copyLimit
        self.scratchFolder = scratchFolder.hasSuffix("/") ? String(scratchFolder.dropLast()) : scratchFolder
    }

    static func address(_ hash: ContentHash) -> String { "sha256/\(hash.hex)" }

    public func stage<Body: AsyncSequence>(
        _ body: Body, limit: Int64, expected: ContentHash?
    ) async throws -> StagedBlob where Body.Element == ByteBuffer {
        let key = "tmp/\(Identifier<StagingKind>.make().rawValue)"
        var hasher = SHA256()
        var size: Int64 = 0
        // Grown as bytes arrive: a thumbnail's few kilobytes never take a part's worth of memory.
        var part = ByteBuffer()
        var upload: MultipartWriter?
        do {
            for try await buffer in body {
                size += Int64(buffer.readableBytes)
                if size > limit { throw BlobStoreError.tooLarge(limit: limit) }
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                var buffer = buffer
                while buffer.readableBytes > 0 {
                    let take = min(buffer.readableBytes, partSize - part.readableBytes)
                    part.writeImmutableBuffer(buffer.readSlice(length: take)!)
                    if part.readableBytes == partSize {
                        if upload == nil {
                            upload = MultipartWriter(s3: s3, key: key, uploadID: try await s3.createMultipartUpload(key),
                                                     window: partsInFlight)
                        }
                        try await upload!.send(part)
                        part = ByteBuffer()
                        part.reserveCapacity(partSize)  // a large upload: every part will be full
                    }
                }
            }
            if upload != nil {
                if part.readableBytes > 0 { try await upload!.send(part) }
                try await upload!.complete()
            } else if part.readableBytes > inlineLimit {
                try await s3.putObject(key, body: part)
            }
        } catch {
            // In a task of its own: a cancelled upload's clean-up must still reach the store.
            let (pending, s3) = (upload, s3)
            await Task {
                if let pending { await pending.abort() } else { try? await s3.delete(key) }
            }.value
            throw error
        }
        let hash = ContentHash(bytes: hasher.finalize())!
        var staged = StagedBlob(hash: hash, size: size, location: key)
        if upload == nil && part.readableBytes <= inlineLimit {
            staged = StagedBlob(hash: hash, size: size, location: HeldBlobs.prefix + key)
            held.keep(ByteBuffer(bytes: part.readableBytesView), at: staged.location)  // exactly its size, held
        }
        if let expected, expected != hash {
            await discard(staged)
            throw BlobStoreError.digestMismatch(expected: expected, actual: hash)
        }
        return staged
    }

    public func publish(_ staged: StagedBlob) async throws -> PublishOutcome {
        let address = Self.address(staged.hash)
        if let bytes = held.take(staged.location) {
            return try await s3.putObjectIfAbsent(address, body: bytes) ? .stored : .deduplicated
        }
        guard !staged.location.hasPrefix(HeldBlobs.prefix) else { throw BlobStoreError.missing(staged.hash) }
        if try await s3.size(of: address) != nil {
            await discard(staged)
            return .deduplicated
        }
        guard try await copy(staged.location, to: address, size: staged.size) else {
            throw BlobStoreError.missing(staged.hash)
        }
        // A staging object left by a failed delete is swept by age later; the blob is published either way.
        try? await s3.delete(staged.location)
        return .stored
    }

    public func discard(_ staged: StagedBlob) async {
        if staged.location.hasPrefix(HeldBlobs.prefix) {
            _ = held.take(staged.location)
        } else {
            try? await s3.delete(staged.location)
        }
    }

    public func size(of hash: ContentHash) async throws -> Int64? {
        try await s3.size(of: Self.address(hash))
    }

    public func read(
        _ hash: ContentHash, range: ClosedRange<Int64>?, into consumer: (ByteBuffer) async throws -> Void
    ) async throws {
        do {
            try await s3.read(Self.address(hash), range: range, into: consumer)
        } catch let error as S3Error where error.isNotFound {
            // A collector may have just quarantined a blob that an upload referenced a moment later; it will put it
            // back, and meanwhile the bytes are still there to read.
            guard let held = try await quarantinedBlobs().first(where: { $0.hash == hash }) else {
                throw BlobStoreError.missing(hash)
            }
            do {
                try await s3.read(held.location, range: range, into: consumer)
            } catch let error as S3Error where error.isNotFound {
                throw BlobStoreError.missing(hash)
            }
        }
    }

    public func withLocalFile<T: Sendable>(
        _ hash: ContentHash, _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let path = FilePath("\(scratchFolder)/tack-blob-\(hash.hex.prefix(16))-\(Identifier<StagingKind>.make().rawValue)")
        do {
            try await FileSystem.shared.withFileHandle(
                forWritingAt: path, options: .newFile(replaceExisting: false, permissions: [.ownerReadWrite])
            ) { handle in
                var writer = handle.bufferedWriter(capacity: .mebibytes(1))
                try await read(hash, range: nil) { try await writer.write(contentsOf: $0) }
                try await writer.flush()
            }
            let result = try await body(path.string)
            _ = try? await FileSystem.shared.removeItem(at: path)
            return result
        } catch {
            _ = try? await FileSystem.shared.removeItem(at: path)
            throw error
        }
    }

    public func allHashes() async throws -> [ContentHash] {
        try await s3.objects(withPrefix: "sha256/").compactMap { ContentHash(hex: $0.key.dropFirst("sha256/".count)) }
    }

    public func quarantine(_ hash: ContentHash) async throws -> QuarantinedBlob? {
        let address = Self.address(hash)
        guard let size = try await s3.size(of: address) else { return nil }
        let blob = QuarantinedBlob(hash: hash, location: "trash/\(hash.hex).\(Identifier<StagingKind>.make().rawValue)")
        guard try await copy(address, to: blob.location, size: size) else { return nil }
        try await s3.delete(address)
        return blob
    }

    public func restore(_ blob: QuarantinedBlob) async throws {
        guard let size = try await s3.size(of: blob.location),
              try await copy(blob.location, to: Self.address(blob.hash), size: size)
        else { throw BlobStoreError.missing(blob.hash) }
        try await s3.delete(blob.location)
    }

    public func quarantinedBlobs() async throws -> [QuarantinedBlob] {
        try await s3.objects(withPrefix: "trash/").compactMap { object in
            let name = object.key.dropFirst("trash/".count)
            return ContentHash(hex: name.prefix(64)).map { QuarantinedBlob(hash: $0, location: object.key) }
        }
    }

    public func purge(_ blob: QuarantinedBlob) async throws {
        try await s3.delete(blob.location)
    }

    public func claim(forCatalog id: String) async throws {
        // If-None-Match: of two catalogs starting on one bucket at once, exactly one writes its mark.
        if try await s3.putObjectIfAbsent("catalog-id", body: ByteBuffer(string: id)) { return }
        var owner = ByteBuffer()
        // A catalog id is a few dozen bytes; whatever else sits at the key is read no further than that.
        try await s3.read("catalog-id", range: 0...Int64(FileBlobStore.maxMarkBytes - 1)) { chunk in
            var chunk = chunk
            owner.writeBuffer(&chunk)
        }
        guard String(buffer: owner) == id else { throw BlobStoreError.ownedByAnotherCatalog(String(buffer: owner)) }
    }

    public func sweepStaging(olderThan age: Duration?) async throws -> Int {
        let age = age ?? Self.abandonedAfter
        let cutoff = Date().addingTimeInterval(-Double(age.components.seconds))
        var removed = 0
        for object in try await s3.objects(withPrefix: "tmp/") where age == .zero || object.lastModified < cutoff {
            try await s3.delete(object.key)
            removed += 1
        }
        for upload in try await s3.pendingUploads(withPrefix: "tmp/") where age == .zero || upload.initiated < cutoff {
            try await s3.abortMultipartUpload(upload.key, uploadID: upload.uploadID)
            removed += 1
        }
        // Local copies a crashed instance lent to a decoder; no decode runs for an hour, so older ones are leftovers.
        let localCutoff = Date().addingTimeInterval(-3600)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: scratchFolder)) ?? [] where name.hasPrefix("tack-blob-") {
            let path = "\(scratchFolder)/\(name)"
            if let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date,
               modified < localCutoff {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        return removed
    }

    /// Server-side copy; objects past `copyLimit` go part by part. False when `source` is gone.
    func copy(_ source: String, to destination: String, size: Int64) async throws -> Bool {
        guard size > copyLimit else { return try await s3.copy(source, to: destination) }
        let uploadID = try await s3.createMultipartUpload(destination)
        do {
            var etags: [String] = []
            var start: Int64 = 0
            while start < size {
                let end = min(start + copyLimit, size) - 1
                etags.append(try await s3.uploadPartCopy(
                    destination, uploadID: uploadID, number: etags.count + 1, source: source, range: start...end))
                start = end + 1
            }
            try await s3.completeMultipartUpload(destination, uploadID: uploadID, etags: etags)
            return true
        } catch let error as S3Error where error.isNotFound {
            try? await s3.abortMultipartUpload(destination, uploadID: uploadID)
            return false
        } catch {
            try? await s3.abortMultipartUpload(destination, uploadID: uploadID)
            throw error
        }
    }
}

/// Small staged blobs kept in memory until they are published or discarded, by their staging location.
private final class HeldBlobs: Sendable {
    static let prefix = "held:"
    private let blobs = Mutex<[String: ByteBuffer]>([:])

    func keep(_ bytes: ByteBuffer, at location: String) { blobs.withLock { $0[location] = bytes } }
    func take(_ location: String) -> ByteBuffer? { blobs.withLock { $0.removeValue(forKey: location) } }
}

/// The parts of one multipart upload: up to `window` parts go up while the caller reads the next one.
private struct MultipartWriter {
    let s3: S3Client
    let key: String
    let uploadID: String
    let window: Int
    private var etags: [String] = []
    /// Oldest first, so ETags are collected in part order.
    private var inFlight: [Task<String, any Error>] = []

    init(s3: S3Client, key: String, uploadID: String, window: Int) {
        self.s3 = s3
        self.key = key
        self.uploadID = uploadID
        self.window = window
    }

    mutating func send(_ part: ByteBuffer) async throws {
        if inFlight.count >= window { etags.append(try await inFlight.removeFirst().value) }
        let number = etags.count + inFlight.count + 1
        let (s3, key, uploadID) = (s3, key, uploadID)
        inFlight.append(Task { try await s3.uploadPart(key, uploadID: uploadID, number: number, body: part) })
    }

    mutating func complete() async throws {
        while !inFlight.isEmpty { etags.append(try await inFlight.removeFirst().value) }
        try await s3.completeMultipartUpload(key, uploadID: uploadID, etags: etags)
    }

    func abort() async {
        for part in inFlight { part.cancel() }
        for part in inFlight { _ = try? await part.value }
        try? await s3.abortMultipartUpload(key, uploadID: uploadID)
    }
}
