import Foundation
import NIOCore
import Testing
import TackCore
@testable import TackStorage

/// What every `BlobStore` must do. Each test runs against every implementation in `Implementations`.
@Suite(.timeLimit(.minutes(5))) struct BlobStoreContract {
    /// Every implementation, each in a fresh folder that lives as long as the returned value.
    func stores() async throws -> (TemporaryFolder, [(String, any BlobStore)]) {
        let folder = try TemporaryFolder()
        return (folder, try await Implementations.blobStores(in: folder))
    }

    @Test func stagesHashesAndPublishes() async throws {
        let (folder, all) = try await stores()
        defer { withExtendedLifetime(folder) {} }
        for (name, store) in all {
            for size in [0, 1, 65537, 1_000_003] {
                let bytes = pseudoRandomBytes(size, seed: UInt64(size))
                let staged = try await store.stage(chunks(bytes), limit: 10_000_000, expected: nil)
                #expect(staged.hash == sha256(bytes), "\(name)")
                #expect(staged.size == Int64(size))
                #expect(try await store.size(of: staged.hash) == nil, "staged bytes must not be visible yet")
                #expect(try await store.publish(staged) == .stored)
                #expect(try await store.size(of: staged.hash) == Int64(size))
                #expect(try await readAll(store, staged.hash) == bytes, "\(name) size \(size)")
            }
        }
    }

    /// A finished local file (a resumable upload's) is staged without being changed or moved, and the blob it
    /// becomes stays whole when the file is deleted afterwards; past the limit nothing is staged.
    @Test func stagesALocalFileLeavingItAsItWas() async throws {
        let (folder, all) = try await stores()
        for (name, store) in all {
            let bytes = pseudoRandomBytes(3_000_001, seed: 21)
            let file = "\(folder.path)/upload-\(name).part"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            await #expect(throws: BlobStoreError.tooLarge(limit: 1000)) { try await store.stage(file: file, limit: 1000) }
            #expect(try await store.sweepStaging(olderThan: .zero) == 0, "\(name): a refused file leaves no staging")
            let staged = try await store.stage(file: file, limit: 10_000_000)
            #expect(staged.hash == sha256(bytes) && staged.size == Int64(bytes.count), "\(name)")
            #expect(try await store.size(of: staged.hash) == nil, "staged bytes must not be visible yet")
            #expect(try await store.publish(staged) == .stored)
            #expect(FileManager.default.contents(atPath: file).map(Array.init) == bytes, "\(name): the file is left as it was")
            try FileManager.default.removeItem(atPath: file)
            #expect(try await readAll(store, staged.hash) == bytes, "\(name)")
        }
    }

    @Test func identicalBytesAreStoredOnce() async throws {
        let (folder, all) = try await stores()
        defer { withExtendedLifetime(folder) {} }
        for (name, store) in all {
            let bytes = pseudoRandomBytes(100_000, seed: 1)
            let first = try await store.stage(chunks(bytes), limit: 1 << 20, expected: nil)
            let second = try await store.stage(chunks(bytes, size: 1000), limit: 1 << 20, expected: nil)
            #expect(try await store.publish(first) == .stored)
            #expect(try await store.publish(second) == .deduplicated, "\(name)")
            #expect(try await store.allHashes() == [first.hash])
            #expect(try await store.sweepStaging(olderThan: .zero) == 0, "dedup must not leave staging behind")
        }
    }

    @Test func lendsALocalFileOfTheBlob() async throws {
        let (folder, all) = try await stores()
        for (name, store) in all {
            let bytes = pseudoRandomBytes(200_000, seed: 11)
            let staged = try await store.stage(chunks(bytes), limit: 1 << 20, expected: nil)
            await #expect(throws: BlobStoreError.missing(staged.hash)) {
                try await store.withLocalFile(staged.hash) { _ in 0 }
            }
            _ = try await store.publish(staged)
            let read = try await store.withLocalFile(staged.hash) { path in
                Array(FileManager.default.contents(atPath: path) ?? Data())
            }
            #expect(read == bytes, "\(name)")
        }
        _ = folder
    }

    @Test func readsRanges() async throws {
        let (folder, all) = try await stores()
        defer { withExtendedLifetime(folder) {} }
        for (_, store) in all {
            let bytes = pseudoRandomBytes(3_000_000, seed: 2)
            let staged = try await store.stage(chunks(bytes), limit: 1 << 30, expected: nil)
            _ = try await store.publish(staged)
            #expect(try await readAll(store, staged.hash, range: 0...0) == [bytes[0]])
            #expect(try await readAll(store, staged.hash, range: 2_999_999...2_999_999) == [bytes[2_999_999]])
            #expect(try await readAll(store, staged.hash, range: 1_048_570...2_100_000) == Array(bytes[1_048_570...2_100_000]))
        }
    }

    @Test func refusesOversizeAndLeavesNothing() async throws {
        let (folder, all) = try await stores()
        defer { withExtendedLifetime(folder) {} }
        for (name, store) in all {
            let bytes = pseudoRandomBytes(50_000, seed: 3)
            await #expect(throws: BlobStoreError.tooLarge(limit: 49_999)) {
                _ = try await store.stage(chunks(bytes), limit: 49_999, expected: nil)
            }
            #expect(try await store.sweepStaging(olderThan: .zero) == 0, "\(name) left a staging file")
            #expect(try await store.allHashes().isEmpty)
        }
    }

    @Test func refusesDigestMismatchAndLeavesNothing() async throws {
        let (folder, all) = try await stores()
        defer { withExtendedLifetime(folder) {} }
        for (name, store) in all {
            let bytes = pseudoRandomBytes(10_000, seed: 4)
            let wrong = sha256([1, 2, 3])
            await #expect(throws: BlobStoreError.digestMismatch(expected: wrong, actual: sha256(bytes))) {
                _ = try await store.stage(chunks(bytes), limit: 1 << 20, expected: wrong)
            }
            let right = try await store.stage(chunks(bytes), limit: 1 << 20, expected: sha256(bytes))
            #expect(right.hash == sha256(bytes))
            await store.discard(right)
            #expect(try await store.sweepStaging(olderThan: .zero) == 0, "\(name)")
        }
    }

    @Test func quarantineRestoreAndPurge() async throws {
        let (folder, all) = try await stores()
        defer { withExtendedLifetime(folder) {} }
        for (name, store) in all {
            let bytes = pseudoRandomBytes(1000, seed: 5)
            let staged = try await store.stage(chunks(bytes), limit: 1 << 20, expected: nil)
            _ = try await store.publish(staged)
            let quarantined = try #require(try await store.quarantine(staged.hash))
            #expect(try await store.size(of: staged.hash) == nil, "\(name): quarantined blobs are out of sight")
            #expect(try await store.quarantinedBlobs() == [quarantined])
            try await store.restore(quarantined)
            #expect(try await readAll(store, staged.hash) == bytes)
            let again = try #require(try await store.quarantine(staged.hash))
            try await store.purge(again)
            #expect(try await store.size(of: staged.hash) == nil)
            #expect(try await store.quarantinedBlobs().isEmpty)
            #expect(try await store.quarantine(staged.hash) == nil)
            await #expect(throws: BlobStoreError.missing(staged.hash)) { _ = try await readAll(store, staged.hash) }
        }
    }
}

extension BlobStoreContract {
    @Test func servesOneCatalogOnly() async throws {
        let (folder, all) = try await stores()
        for (name, store) in all {
            try await store.claim(forCatalog: "cat_one")
            try await store.claim(forCatalog: "cat_one")
            await #expect(throws: BlobStoreError.ownedByAnotherCatalog("cat_one"), "\(name)") {
                try await store.claim(forCatalog: "cat_two")
            }
            #expect(try await store.allHashes().isEmpty, "the mark is not a blob")
        }
        _ = folder
    }
}

@Suite(.timeLimit(.minutes(5))) struct FileBlobStoreTests {
    @Test func sweepsStagingOfDeadWritersOnly() async throws {
        let folder = try TemporaryFolder()
        let store = try await FileBlobStore(root: folder.path + "/blobs")
        let tmp = folder.path + "/blobs/tmp"
        // A writer that died (pid 2^22+1 is above Linux's default pid_max) and one that is alive (us).
        try #require(FileManager.default.createFile(atPath: "\(tmp)/4194305-s_dead.part", contents: Data([1, 2, 3])))
        try #require(FileManager.default.createFile(atPath: "\(tmp)/\(getpid())-s_live.part", contents: Data([1])))
        #expect(try await store.sweepStaging(olderThan: nil) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp) == ["\(getpid())-s_live.part"])
        #expect(try await store.sweepStaging(olderThan: .zero) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    @Test func blobsLiveAtTheirContentAddress() async throws {
        let folder = try TemporaryFolder()
        let store = try await FileBlobStore(root: folder.path + "/blobs")
        let bytes = Array("hello world".utf8)
        _ = try await store.publish(try await store.stage(chunks(bytes), limit: 100, expected: nil))
        let path = folder.path + "/blobs/sha256/b9/4d/b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        #expect(FileManager.default.contents(atPath: path) == Data(bytes))
    }

    /// A request cancelled mid-upload (a time limit, a client gone): NIO's file system refuses a cancelled task's
    /// work, yet the staging file is still closed (an unclosed handle is a fatal error in NIO), nothing is left in
    /// staging, and the store keeps working.
    @Test func aCancelledStageClosesItsFileAndLeavesNothing() async throws {
        let folder = try TemporaryFolder()
        let store = try await FileBlobStore(root: folder.path + "/blobs")
        for _ in 0..<3 {
            let (body, feed) = AsyncStream<ByteBuffer>.makeStream()
            feed.yield(ByteBuffer(bytes: [UInt8](repeating: 7, count: 4096)))
            let upload = Task { try await store.stage(body, limit: 1 << 20, expected: nil) }
            try await Task.sleep(for: .milliseconds(100))
            upload.cancel()
            await #expect(throws: (any Error).self) { _ = try await upload.value }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/blobs/tmp").isEmpty)
        let staged = try await store.stage(chunks(Array("still here".utf8)), limit: 100, expected: nil)
        #expect(staged.size == 10)
    }
}
