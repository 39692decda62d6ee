#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import NIOCore
import NIOFileSystem
import NIOPosix
import TackCore

/// Blobs as files under one folder: `sha256/ab/cd/<hash>`, with `tmp/` for staging and `trash/` for quarantine.
///
/// Publishing is an fsync of the file, a `rename(2)` onto its address and an fsync of the folder, so a crash
/// leaves either the whole blob or none of it. Two writers of the same bytes may both rename; the content is
/// identical, so whichever lands last changes nothing a reader can see.
public struct FileBlobStore: BlobStore {
    public let root: String
    private let fileSystem = FileSystem.shared
    private let threadPool = NIOThreadPool.singleton

    public init(root: String) async throws {
        self.root = root
        for folder in [root, "\(root)/sha256", "\(root)/tmp", "\(root)/trash"] {
            try await fileSystem.createDirectory(
                at: FilePath(folder), withIntermediateDirectories: true, permissions: [.ownerReadWriteExecute])
        }
    }

    func path(of hash: ContentHash) -> String {
        let hex = hash.hex
        let a = hex.prefix(2), b = hex.dropFirst(2).prefix(2)
        return "\(root)/sha256/\(a)/\(b)/\(hex)"
    }

    public func stage<Body: AsyncSequence>(
        _ body: Body, limit: Int64, expected: ContentHash?
    ) async throws -> StagedBlob where Body.Element == ByteBuffer {
        let location = "\(root)/tmp/\(getpid())-\(Identifier<StagingKind>.make().rawValue).part"
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            // Transactional creation writes to an unnamed O_TMPFILE where the kernel offers it, so a crash leaves
            // nothing behind; the name appears only once the bytes are complete and synced.
            let handle = try await fileSystem.openFile(
                forWritingAt: FilePath(location),
                options: OpenOptions.Write(
                    existingFile: .none,
                    newFile: OpenOptions.NewFile(permissions: [.ownerReadWrite], transactionalCreation: true)))
            do {
                var writer = handle.bufferedWriter(capacity: .mebibytes(1))
                for try await buffer in body {
                    size += Int64(buffer.readableBytes)
                    if size > limit { throw BlobStoreError.tooLarge(limit: limit) }
                    buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    try await writer.write(contentsOf: buffer)
                }
                try await writer.flush()
                try await handle.synchronize()
                try await handle.close(makeChangesVisible: true)
            } catch {
                await handle.discardEvenIfCancelled()
                throw error
            }
        } catch {
            _ = try? await fileSystem.removeItem(at: FilePath(location))
            throw error
        }
        let hash = ContentHash(bytes: hasher.finalize())!
        let staged = StagedBlob(hash: hash, size: size, location: location)
        if let expected, expected != hash {
            await discard(staged)
            throw BlobStoreError.digestMismatch(expected: expected, actual: hash)
        }
        return staged
    }

    /// A second name for the file in staging (a hard link), hashed by reading it once: no copy, no second fsync (its
    /// writer synced it). Falls back to copying across file systems.
    public func stage(file path: String, limit: Int64) async throws -> StagedBlob {
        let location = "\(root)/tmp/\(getpid())-\(Identifier<StagingKind>.make().rawValue).part"
        let linked = try await threadPool.runIfActive { () throws -> Bool in
            guard link(path, location) == 0 else {
                if [EXDEV, EPERM, EMLINK].contains(errno) { return false }
                throw PosixError(call: "link", path: path, code: errno)
            }
            // Fresh, so a collector sweeping old staging leaves it alone even if the file was last written long ago.
            _ = utimensat(AT_FDCWD, location, nil, 0)
            return true
        }
        guard linked else {
            return try await fileSystem.withFileHandle(forReadingAt: FilePath(path)) { handle in
                try await stage(handle.readChunks(chunkLength: .mebibytes(1)), limit: limit, expected: nil)
            }
        }
        do {
            var hasher = SHA256()
            var size: Int64 = 0
            try await fileSystem.withFileHandle(forReadingAt: FilePath(location)) { handle in
                for try await chunk in handle.readChunks(chunkLength: .mebibytes(1)) {
                    size += Int64(chunk.readableBytes)
                    if size > limit { throw BlobStoreError.tooLarge(limit: limit) }
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                }
            }
            return StagedBlob(hash: ContentHash(bytes: hasher.finalize())!, size: size, location: location)
        } catch {
            _ = try? await fileSystem.removeItem(at: FilePath(location))
            throw error
        }
    }

    public func publish(_ staged: StagedBlob) async throws -> PublishOutcome {
        let destination = path(of: staged.hash)
        return try await threadPool.runIfActive {
            let folder = String(destination[..<destination.lastIndex(of: "/")!])
            if Posix.exists(destination) {
                try Posix.unlink(staged.location)
                return .deduplicated
            }
            try Posix.makeDirectories(folder)
            try Posix.rename(staged.location, destination)
            try Posix.syncDirectory(folder)
            return .stored
        }
    }

    public func discard(_ staged: StagedBlob) async {
        _ = try? await fileSystem.removeItem(at: FilePath(staged.location))
    }

    public func size(of hash: ContentHash) async throws -> Int64? {
        guard let info = try await fileSystem.info(forFileAt: FilePath(path(of: hash))) else { return nil }
        return info.size
    }

    public func withLocalFile<T: Sendable>(
        _ hash: ContentHash, _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        // The blob is its own file already; a referenced blob is never moved while it is referenced.
        let path = path(of: hash)
        guard try await fileSystem.info(forFileAt: FilePath(path)) != nil else { throw BlobStoreError.missing(hash) }
        return try await body(path)
    }

    public func read(
        _ hash: ContentHash, range: ClosedRange<Int64>?,
        into consumer: (ByteBuffer) async throws -> Void
    ) async throws {
        let handle: ReadFileHandle
        do {
            handle = try await fileSystem.openFile(forReadingAt: FilePath(path(of: hash)), options: .init())
        } catch let error as FileSystemError where error.code == .notFound {
            // A collector may have just quarantined a blob that an upload referenced a moment later; it will put it
            // back, and meanwhile the bytes are still there to read.
            guard let held = try await quarantinedBlobs().first(where: { $0.hash == hash }),
                  let opened = try? await fileSystem.openFile(forReadingAt: FilePath(held.location), options: .init())
            else { throw BlobStoreError.missing(hash) }
            handle = opened
        }
        do {
            let chunks = range.map { handle.readChunks(in: $0, chunkLength: .mebibytes(1)) }
                ?? handle.readChunks(chunkLength: .mebibytes(1))
            for try await chunk in chunks {
                try await consumer(chunk)
            }
        } catch {
            await handle.closeEvenIfCancelled()
            throw error
        }
        try await handle.close()
    }

    public func allHashes() async throws -> [ContentHash] {
        let base = "\(root)/sha256"
        return try await threadPool.runIfActive {
            var hashes: [ContentHash] = []
            for a in try Posix.list(base) {
                for b in try Posix.list("\(base)/\(a)") {
                    hashes += try Posix.list("\(base)/\(a)/\(b)").compactMap { ContentHash(hex: $0) }
                }
            }
            return hashes
        }
    }

    public func quarantine(_ hash: ContentHash) async throws -> QuarantinedBlob? {
        let source = path(of: hash)
        let blob = QuarantinedBlob(
            hash: hash, location: "\(root)/trash/\(hash.hex).\(Identifier<StagingKind>.make().rawValue)")
        return try await threadPool.runIfActive {
            do {
                try Posix.rename(source, blob.location)
            } catch let error as PosixError where error.code == ENOENT {
                return nil
            }
            return blob
        }
    }

    public func restore(_ blob: QuarantinedBlob) async throws {
        let destination = path(of: blob.hash)
        try await threadPool.runIfActive {
            try Posix.makeDirectories(String(destination[..<destination.lastIndex(of: "/")!]))
            try Posix.rename(blob.location, destination)
        }
    }

    public func quarantinedBlobs() async throws -> [QuarantinedBlob] {
        let trash = "\(root)/trash"
        return try await threadPool.runIfActive {
            try Posix.list(trash).compactMap { name in
                ContentHash(hex: name.prefix(64)).map { QuarantinedBlob(hash: $0, location: "\(trash)/\(name)") }
            }
        }
    }

    public func purge(_ blob: QuarantinedBlob) async throws {
        try await threadPool.runIfActive { try Posix.unlink(blob.location) }
    }

    /// The most of a `catalog-id` mark read when checking whose it is.
    static let maxMarkBytes = 256

    public func claim(forCatalog id: String) async throws {
        let mark = "\(root)/catalog-id"
        try await threadPool.runIfActive {
            // O_EXCL: of two catalogs starting on one folder at once, exactly one writes its mark.
            let fd = open(mark, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            if fd >= 0 {
                let bytes = Array(id.utf8)
                let written = write(fd, bytes, bytes.count)
                fsync(fd)
                close(fd)
                guard written == bytes.count else { throw PosixError(call: "write", path: mark, code: EIO) }
                return
            }
            guard errno == EEXIST else { throw PosixError(call: "open", path: mark, code: errno) }
            // A catalog id is a few dozen bytes; whatever else sits at the mark is read no further than that.
            let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: mark)).readData(ofLength: Self.maxMarkBytes)) ?? Data()
            let owner = String(decoding: head, as: UTF8.self)
            guard owner == id else { throw BlobStoreError.ownedByAnotherCatalog(owner) }
        }
    }

    public func sweepStaging(olderThan age: Duration?) async throws -> Int {
        let tmp = "\(root)/tmp"
        return try await threadPool.runIfActive {
            var removed = 0
            let now = Posix.now()
            for name in try Posix.list(tmp) {
                let path = "\(tmp)/\(name)"
                // Our own staging names start with the writer's pid; anything else (NIO's fallback temp names on file
                // systems without O_TMPFILE) may belong to a live upload, so only age removes it.
                let owner = name.split(separator: "-").first.flatMap { pid_t($0) }
                let ownerGone = owner.map { $0 != getpid() && !Posix.processExists($0) } ?? false
                var stale = false
                if let age, let modified = Posix.modificationTime(path) {
                    stale = now - modified > Double(age.components.seconds)
                }
                if ownerGone || stale {
                    try? Posix.unlink(path)
                    removed += 1
                }
            }
            return removed
        }
    }
}

/// Random suffixes for staging and trash names.
enum StagingKind: IdentifierKind { static let prefix = "s" }
