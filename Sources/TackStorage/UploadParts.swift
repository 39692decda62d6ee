import Crypto
import Foundation
import NIOCore
import NIOFileSystem
import TackCore

/// The bytes of tus uploads under way: a file per upload in one folder of this instance's storage, grown by each
/// PATCH and synced before the PATCH is answered.
///
/// Only the catalog's offset is ever believed: bytes past it (written by a PATCH that failed or was killed before it
/// was acknowledged) are cut off when the next PATCH starts.
public struct UploadParts: Sendable {
    public let root: String
    private let fileSystem = FileSystem.shared

    public init(root: String) {
        self.root = root
    }

    /// Where the upload's bytes are; read it only once the upload is full (nothing writes to it then).
    public func path(of id: UploadID) -> FilePath { FilePath("\(root)/\(id.rawValue).part") }

    /// Makes the upload's empty file.
    public func create(_ id: UploadID) async throws {
        try Posix.makeDirectories(root)
        try await fileSystem.withFileHandle(
            forWritingAt: path(of: id),
            options: .newFile(replaceExisting: true, permissions: [.ownerReadWrite])
        ) { try await $0.synchronize() }
        try Posix.syncDirectory(root)
    }

    /// Whether this instance holds the upload's bytes.
    public func holds(_ id: UploadID) async -> Bool {
        (try? await fileSystem.info(forFileAt: path(of: id))) != nil
    }

    /// What one PATCH added.
    public struct Appended: Sendable {
        /// Bytes now synced after the offset the PATCH started from.
        public var count: Int64
        /// Why the body stopped early (the client went away); its bytes up to there are kept, as tus asks.
        public var interruption: (any Error)?
    }

    /// Writes `body` after the first `offset` bytes and syncs it, refusing more than `limit` bytes.
    ///
    /// With a `checksum`, the chunk is kept only whole and matching: a mismatch or an early end drops it all.
    /// Without one, a body that breaks off keeps what arrived (the client asks for the offset and goes on).
    public func append<Body: AsyncSequence>(
        _ body: Body, to id: UploadID, at offset: Int64, limit: Int64, checksum: TusChecksum?,
        tooLarge: @Sendable (Int64) -> any Error
    ) async throws -> Appended where Body.Element == ByteBuffer {
        let handle: WriteFileHandle
        do {
            handle = try await fileSystem.openFile(forWritingAt: path(of: id), options: .modifyFile(createIfNecessary: false))
        } catch let error as FileSystemError where error.code == .notFound {
            throw TackError(.notFound, "this upload's bytes are not on this tackd instance; start the upload again")
        }
        do {
            try await handle.resize(to: .bytes(offset))
            var writer = handle.bufferedWriter(startingAtAbsoluteOffset: offset, capacity: .mebibytes(1))
            var hasher = checksum.map { ChunkHasher($0.algorithm) }
            var count: Int64 = 0
            var interruption: (any Error)?
            var chunks = body.makeAsyncIterator()
            while true {
                let next: ByteBuffer?
                do {
                    next = try await chunks.next()
                } catch where checksum == nil {
                    interruption = error
                    break
                }
                guard let buffer = next else { break }
                count += Int64(buffer.readableBytes)
                if count > limit { throw tooLarge(limit) }
                buffer.withUnsafeReadableBytes { hasher?.update($0) }
                try await writer.write(contentsOf: buffer)
            }
            if let checksum, hasher?.finalize() != checksum.digest {
                throw TackError(.checksumMismatch, "the chunk's \(checksum.algorithm.rawValue) does not match Upload-Checksum; it was dropped, send it again")
            }
            try await writer.flush()
            try await handle.synchronize()
            try await handle.close()
            return Appended(count: count, interruption: interruption)
        } catch {
            // Nothing past the acknowledged offset stays.
            // In a task of its own, like the close: a cancelled request must not leave a torn chunk behind.
            try? await Task { [handle] in try await handle.resize(to: .bytes(offset)) }.value
            await handle.closeEvenIfCancelled()
            throw error
        }
    }

    /// Uploads whose file was last written before `before`, for finding files no upload row claims any more.
    public func files(untouchedSince before: Date) -> [UploadID] {
        ((try? Posix.list(root)) ?? []).compactMap { name in
            guard name.hasSuffix(".part"), let id = UploadID(validating: name.dropLast(5)),
                  let modified = Posix.modificationTime("\(root)/\(name)"), modified < before.timeIntervalSince1970
            else { return nil }
            return id
        }
    }

    public func remove(_ id: UploadID) async {
        _ = try? await fileSystem.removeItem(at: path(of: id))
    }
}

/// Hashes a chunk with the algorithm its `Upload-Checksum` names.
private struct ChunkHasher {
    private var sha1: Insecure.SHA1?
    private var sha256: SHA256?

    init(_ algorithm: TusChecksum.Algorithm) {
        switch algorithm {
        case .sha1: sha1 = Insecure.SHA1()
        case .sha256: sha256 = SHA256()
        }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha1?.update(bufferPointer: bytes)
        sha256?.update(bufferPointer: bytes)
    }

    func finalize() -> [UInt8] {
        if let sha1 { return Array(sha1.finalize()) }
        return sha256.map { Array($0.finalize()) } ?? []
    }
}
