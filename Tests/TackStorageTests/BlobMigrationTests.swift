import Foundation
import Testing
import TackCore
@testable import TackStorage

/// Moving blobs between stores (a folder and a real Ceph RGW bucket), interrupted and resumed.
@Suite(.timeLimit(.minutes(5))) struct BlobMigrationTests {
    @Test func copiesVerifiesAndResumes() async throws {
        let folder = try TemporaryFolder()
        let files = try await FileBlobStore(root: folder.path + "/blobs")
        let bucket = S3BlobStore(try await TestS3.client(), partSize: 5 << 20, scratchFolder: folder.path)
        let contents = [pseudoRandomBytes(0, seed: 1), pseudoRandomBytes(1000, seed: 2), pseudoRandomBytes((6 << 20) + 5, seed: 3)]
        for bytes in contents {
            _ = try await files.publish(try await files.stage(chunks(bytes), limit: 1 << 30, expected: nil))
        }

        let first = try await BlobMigration(from: files, to: bucket).run()
        #expect(first == MigrationReport(copied: 3, copiedBytes: Int64(contents.map(\.count).reduce(0, +)), present: 0))
        for bytes in contents { #expect(try await readAll(bucket, sha256(bytes)) == bytes) }

        // An interrupted pass: one blob never arrived.
        let missing = try #require(try await bucket.quarantine(sha256(contents[2])))
        try await bucket.purge(missing)
        let second = try await BlobMigration(from: files, to: bucket).run()
        #expect(second == MigrationReport(copied: 1, copiedBytes: Int64(contents[2].count), present: 2))
        #expect(try await readAll(bucket, sha256(contents[2])) == contents[2])
        #expect(try await bucket.sweepStaging(olderThan: .zero) == 0, "no staging left behind")

        // And back again, from the bucket into a new folder.
        let back = try await FileBlobStore(root: folder.path + "/back")
        #expect(try await BlobMigration(from: bucket, to: back).run().copied == 3)
        for bytes in contents { #expect(try await readAll(back, sha256(bytes)) == bytes) }
    }

    @Test func aBlobWhoseBytesDoNotMatchItsAddressIsRefused() async throws {
        let folder = try TemporaryFolder()
        let files = try await FileBlobStore(root: folder.path + "/blobs")
        let bytes = pseudoRandomBytes(5000, seed: 9)
        let hash = sha256(bytes)
        _ = try await files.publish(try await files.stage(chunks(bytes), limit: 1 << 20, expected: nil))
        // Rot on the source disk: the file at the address no longer holds those bytes.
        try Data(pseudoRandomBytes(5000, seed: 10)).write(to: URL(fileURLWithPath: files.path(of: hash)))
        let bucket = S3BlobStore(try await TestS3.client(), scratchFolder: folder.path)
        await #expect { _ = try await BlobMigration(from: files, to: bucket).run() } throws: { error in
            guard case .digestMismatch(let expected, _) = error as? BlobStoreError else { return false }
            return expected == hash
        }
        #expect(try await bucket.size(of: hash) == nil, "nothing unverified is published")
        #expect(try await bucket.sweepStaging(olderThan: .zero) == 0)
    }
}
