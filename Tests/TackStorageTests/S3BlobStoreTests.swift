import Foundation
import NIOCore
import Testing
import TackCore
import TackS3
@testable import TackStorage

/// What only the S3 store does: multipart staging, part-by-part copies, and cleaning up after refusals, on a real
/// Ceph RGW. The contract's blobs are small enough for single requests; these are not.
@Suite(.timeLimit(.minutes(5))) struct S3BlobStoreTests {
    /// 11 MiB: three 5 MiB-at-most parts to stage, and three parts to copy with a 5 MiB copy limit.
    static let large = pseudoRandomBytes((11 << 20) + 17, seed: 99)

    func store() async throws -> (TemporaryFolder, S3BlobStore) {
        let folder = try TemporaryFolder()
        return (folder, S3BlobStore(try await TestS3.client(), partSize: 5 << 20, copyLimit: 5 << 20,
                                    scratchFolder: folder.path))
    }

    @Test func stagesInPartsAndPublishesByCopyingParts() async throws {
        let (folder, store) = try await store()
        let staged = try await store.stage(chunks(Self.large, size: 65536), limit: 1 << 30, expected: sha256(Self.large))
        #expect(staged.size == Int64(Self.large.count))
        #expect(try await store.s3.pendingUploads(withPrefix: "tmp/").isEmpty, "the multipart upload was completed")
        #expect(try await store.size(of: staged.hash) == nil)
        #expect(try await store.publish(staged) == .stored)
        #expect(try await store.s3.objects(withPrefix: "tmp/").isEmpty, "staging is gone once published")
        #expect(try await readAll(store, staged.hash) == Self.large)
        #expect(try await readAll(store, staged.hash, range: 5_242_870...5_242_890) == Array(Self.large[5_242_870...5_242_890]))
        let local = try await store.withLocalFile(staged.hash) { path in try Data(contentsOf: URL(fileURLWithPath: path)) }
        #expect(Array(local) == Self.large)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "the local copy is removed")

        let quarantined = try #require(try await store.quarantine(staged.hash))
        #expect(try await store.size(of: staged.hash) == nil)
        try await store.restore(quarantined)
        #expect(try await readAll(store, staged.hash) == Self.large)
        #expect(try await store.quarantinedBlobs().isEmpty)
    }

    @Test func aRefusalMidUploadAbortsTheParts() async throws {
        let (_, store) = try await store()
        await #expect(throws: BlobStoreError.tooLarge(limit: 8 << 20)) {
            _ = try await store.stage(chunks(Self.large, size: 1 << 20), limit: 8 << 20, expected: nil)
        }
        await #expect(throws: BlobStoreError.self) {
            _ = try await store.stage(chunks(Self.large, size: 1 << 20), limit: 1 << 30, expected: sha256([1]))
        }
        #expect(try await store.s3.pendingUploads(withPrefix: "tmp/").isEmpty)
        #expect(try await store.s3.objects(withPrefix: "").isEmpty)
    }

    @Test func aBodyThatFailsMidwayLeavesNothing() async throws {
        let (_, store) = try await store()
        struct ClientVanished: Error {}
        let failing = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            for index in 0..<7 { continuation.yield(ByteBuffer(bytes: pseudoRandomBytes(1 << 20, seed: UInt64(index)))) }
            continuation.finish(throwing: ClientVanished())
        }
        await #expect(throws: ClientVanished.self) { _ = try await store.stage(failing, limit: 1 << 30, expected: nil) }
        #expect(try await store.s3.pendingUploads(withPrefix: "").isEmpty)
        #expect(try await store.sweepStaging(olderThan: .zero) == 0)
    }

    @Test func sweepsAbandonedStagingByAgeOnly() async throws {
        let (_, store) = try await store()
        // A crashed writer's leftovers: a staged object and a multipart upload never completed.
        try await store.s3.putObject("tmp/s_crashed", body: ByteBuffer(string: "partial"))
        _ = try await store.s3.createMultipartUpload("tmp/s_crashed-multipart")
        #expect(try await store.sweepStaging(olderThan: nil) == 0, "fresh staging may be another instance's upload")
        #expect(try await store.sweepStaging(olderThan: .zero) == 2)
        #expect(try await store.s3.pendingUploads(withPrefix: "").isEmpty)
        #expect(try await store.s3.objects(withPrefix: "").isEmpty)
    }

    @Test func publishingTwiceFromTwoWritersStoresOnce() async throws {
        let (_, store) = try await store()
        let bytes = pseudoRandomBytes(70_000, seed: 5)
        async let first = store.stage(chunks(bytes), limit: 1 << 20, expected: nil)
        async let second = store.stage(chunks(bytes, size: 333), limit: 1 << 20, expected: nil)
        let (a, b) = try await (first, second)
        // Published at the same moment: the conditional PUT lets exactly one of them store the bytes.
        async let publishA = store.publish(a)
        async let publishB = store.publish(b)
        let outcomes = try await [publishA, publishB]
        #expect(outcomes.sorted { "\($0)" < "\($1)" } == [.deduplicated, .stored], "\(outcomes)")
        #expect(try await store.s3.objects(withPrefix: "").map(\.key) == ["sha256/\(a.hash.hex)"])
    }
}
