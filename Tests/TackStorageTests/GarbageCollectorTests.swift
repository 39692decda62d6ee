import Foundation
import Synchronization
import Testing
import TackCore
@testable import TackStorage

/// A file store and SQLite catalog with one client and one room.
struct Fixture: Sendable {
    let folder: TemporaryFolder
    let blobs: any BlobStore
    let catalog: any Catalog
    let room: Room

    init() async throws {
        folder = try TemporaryFolder()
        blobs = try await FileBlobStore(root: folder.path + "/blobs")
        catalog = try await SQLiteCatalog.open(path: folder.path + "/catalog.sqlite")
        _ = try await catalog.createUser(name: "carol", role: .client, tokenDigest: "d", at: Date())
        room = Room(id: .make(), name: "R", creator: "carol", members: [], createdAt: Date())
        try await catalog.createRoom(room)
    }

    func upload(_ bytes: [UInt8]) async throws -> Attachment {
        let ingest = AttachmentIngest(blobs: blobs, catalog: catalog)
        let staged = try await ingest.stage(chunks(bytes), limit: 1 << 30)
        let facts = AttachmentFacts(room: room.id, uploader: "carol", name: "f.bin", declaredType: nil)
        guard case .stored(let attachment) = try await ingest.record(staged, facts: facts, quota: nil, key: nil) else {
            throw TackError(.internal, "an upload without a key was reported as repeated")
        }
        return attachment
    }
}

@Suite(.timeLimit(.minutes(5))) struct GarbageCollectorTests {
    @Test func removesOnlyUnreferencedBlobs() async throws {
        let f = try await Fixture()
        let kept = try await f.upload(pseudoRandomBytes(5000, seed: 1))
        let dropped = try await f.upload(pseudoRandomBytes(7000, seed: 2))
        let twice = try await f.upload(pseudoRandomBytes(5000, seed: 1))
        #expect(twice.sha256 == kept.sha256)
        _ = try await f.catalog.deleteAttachment(dropped.id)
        _ = try await f.catalog.deleteAttachment(twice.id)
        let report = try await GarbageCollector(blobs: f.blobs, catalog: f.catalog).collect()
        #expect(report.removed == 1)
        #expect(report.removedBytes == 7000)
        #expect(try await f.blobs.allHashes() == [kept.sha256])
        #expect(try await readAll(f.blobs, kept.sha256) == pseudoRandomBytes(5000, seed: 1))
    }

    @Test func pinnedBlobsSurvive() async throws {
        let f = try await Fixture()
        let bytes = pseudoRandomBytes(3000, seed: 3)
        // An upload that has published but not yet recorded its attachment: only the pin protects it.
        let staged = try await f.blobs.stage(chunks(bytes), limit: 1 << 20, expected: nil)
        let pin = try await f.catalog.pin(staged.hash, until: Date().addingTimeInterval(60))
        _ = try await f.blobs.publish(staged)
        let report = try await GarbageCollector(blobs: f.blobs, catalog: f.catalog).collect()
        #expect(report.removed == 0)
        #expect(try await f.blobs.size(of: staged.hash) == 3000)
        try await f.catalog.releasePin(pin)
        #expect(try await GarbageCollector(blobs: f.blobs, catalog: f.catalog).collect().removed == 1)
    }

    /// A pin nobody released (its upload died) protects the blob until it lapses, and not after.
    @Test func aBlobIsCollectedOnceItsPinLapses() async throws {
        let f = try await Fixture()
        let staged = try await f.blobs.stage(chunks(pseudoRandomBytes(2000, seed: 8)), limit: 1 << 20, expected: nil)
        _ = try await f.catalog.pin(staged.hash, until: Date().addingTimeInterval(1))
        _ = try await f.blobs.publish(staged)
        #expect(try await GarbageCollector(blobs: f.blobs, catalog: f.catalog).collect().removed == 0)
        try await Task.sleep(for: .milliseconds(1200))
        #expect(try await GarbageCollector(blobs: f.blobs, catalog: f.catalog).collect().removed == 1)
        #expect(try await f.blobs.size(of: staged.hash) == nil)
    }

    /// Staging a crashed writer left behind (its pid is gone) is swept by the same collection.
    @Test func sweepsStagingOfCrashedWriters() async throws {
        let f = try await Fixture()
        let tmp = f.folder.path + "/blobs/tmp"
        // pid 2^22+1 is above Linux's default pid_max: a writer that no longer runs.
        #expect(FileManager.default.createFile(atPath: "\(tmp)/4194305-s_dead.part", contents: Data([1, 2, 3])))
        let report = try await GarbageCollector(blobs: f.blobs, catalog: f.catalog).collect()
        #expect(report.sweptStaging == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    @Test func finishesAnInterruptedCollection() async throws {
        let f = try await Fixture()
        let referenced = try await f.upload(pseudoRandomBytes(100, seed: 4))
        let orphan = try await f.blobs.stage(chunks(pseudoRandomBytes(200, seed: 5)), limit: 1 << 20, expected: nil)
        _ = try await f.blobs.publish(orphan)
        // A collector killed after quarantining both: the referenced one must come back, the orphan go.
        _ = try await f.blobs.quarantine(referenced.sha256)
        _ = try await f.blobs.quarantine(orphan.hash)
        let report = try await GarbageCollector(blobs: f.blobs, catalog: f.catalog).collect()
        #expect(report.restored == 1)
        #expect(report.removed == 1)
        #expect(try await f.blobs.allHashes() == [referenced.sha256])
    }

    /// The same bytes uploaded again at each point between a collection's steps (before the quarantine, between
    /// the quarantine and the second look, between that look and the purge): the new attachment stays readable,
    /// its blob stays recorded, and a later collection keeps it.
    @Test(arguments: GarbageCollector.Step.allCases)
    func aReuploadAtEachStepOfACollectionStaysReadable(step: GarbageCollector.Step) async throws {
        let f = try await Fixture()
        let bytes = pseudoRandomBytes(64 * 1024, seed: 6)
        let first = try await f.upload(bytes)
        _ = try await f.catalog.deleteAttachment(first.id)
        let reuploaded = Mutex<Attachment?>(nil)
        var collector = GarbageCollector(blobs: f.blobs, catalog: f.catalog)
        collector.between = { at, hash in
            guard at == step, hash == first.sha256, reuploaded.withLock({ $0 }) == nil else { return }
            let again = try await f.upload(bytes)
            reuploaded.withLock { $0 = again }
        }
        let report = try await collector.collect()
        let again = try #require(reuploaded.withLock { $0 }, "the collection reached \(step)")
        // Before the second look, the upload's pin or reference sends the blob back; after it, the collection
        // purges only its quarantined copy, and the upload has stored its own.
        #expect(report.restored == (step == .decidedToPurge ? 0 : 1), "\(report)")
        #expect(report.removed == (step == .decidedToPurge ? 1 : 0), "\(report)")
        #expect(try await readAll(f.blobs, again.sha256) == bytes)
        #expect(try await f.catalog.isInUse(again.sha256, at: Date()))
        let later = try await GarbageCollector(blobs: f.blobs, catalog: f.catalog).collect()
        #expect(later.removed == 0 && later.restored == 0, "\(later)")
        #expect(try await readAll(f.blobs, again.sha256) == bytes)
    }

    @Test func concurrentUploadsOfCollectedBytesStayReadable() async throws {
        let f = try await Fixture()
        let bytes = pseudoRandomBytes(64 * 1024, seed: 6)
        let first = try await f.upload(bytes)
        _ = try await f.catalog.deleteAttachment(first.id)
        // Race collections against re-uploads of the same bytes; every recorded attachment must stay readable.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for _ in 0..<20 { _ = try await GarbageCollector(blobs: f.blobs, catalog: f.catalog).collect() }
            }
            group.addTask {
                for _ in 0..<20 {
                    let a = try await f.upload(bytes)
                    #expect(try await readAll(f.blobs, a.sha256) == bytes)
                    _ = try await f.catalog.deleteAttachment(a.id)
                }
            }
            try await group.waitForAll()
        }
        let last = try await f.upload(bytes)
        _ = try await GarbageCollector(blobs: f.blobs, catalog: f.catalog).collect()
        #expect(try await readAll(f.blobs, last.sha256) == bytes)
    }
}
