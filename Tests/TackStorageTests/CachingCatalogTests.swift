import Foundation
import NIOCore
import SQLiteKit
import Testing
import TackCore
@testable import TackStorage

/// The read caches answer from memory, forget on the very next request after a write, hear about other processes'
/// writes through the changes table, and stay within their bounds.
@Suite(.timeLimit(.minutes(5))) struct CachingCatalogTests {
    /// Token digests are hex in production; revoking by id needs them to be.
    static let carolDigest = String(repeating: "c", count: 64)
    static let fredDigest = String(repeating: "f", count: 64)

    func hash(_ n: UInt8) -> ContentHash { ContentHash(bytes: [UInt8](repeating: n, count: 32))! }

    /// carol's room with fred in it, and one image attachment of fred's with a thumbnail.
    func seed(_ catalog: any Catalog) async throws -> (Room, Attachment) {
        _ = try await catalog.createUser(name: "carol", role: .client, tokenDigest: Self.carolDigest, at: Date())
        _ = try await catalog.createUser(name: "fred", role: .freelancer, tokenDigest: Self.fredDigest, at: Date())
        let room = Room(id: .make(), name: "Room for Project A", creator: "carol", members: ["carol", "fred"], createdAt: Date())
        try await catalog.createRoom(room)
        let attachment = Attachment(id: .make(), room: room.id, name: "shot.png", size: 10, contentType: "image/png",
                                    sha256: hash(1), uploader: "fred", createdAt: Date())
        try await catalog.insertAttachment(attachment, releasing: nil)
        try await catalog.insertThumbnail(StoredThumbnail(source: hash(1), size: 320, method: "scale", blob: hash(2),
                                                          contentType: "image/png", width: 10, height: 10), releasing: nil)
        return (room, attachment)
    }

    /// Reads everything a request reads, so every cache holds it.
    func warm(_ catalog: any Catalog, _ room: Room, _ attachment: Attachment) async throws {
        #expect(try await catalog.user(forTokenDigest: Self.fredDigest)?.name == "fred")
        #expect(try await catalog.room(room.id)?.members == ["carol", "fred"])
        #expect(try await catalog.rooms(of: "fred").map(\.id) == [room.id])
        #expect(try await catalog.attachment(attachment.id) != nil)
        #expect(try await catalog.thumbnail(of: hash(1), size: 320, method: "scale") != nil)
    }

    /// A serving catalog with warm caches, and a second catalog on the same file, as an admin command or a second
    /// tackd would open it.
    func servingBesideAnotherProcess() async throws
        -> (TemporaryFolder, SQLiteCatalog, CachingCatalog, Room, Attachment, SQLiteCatalog)
    {
        let folder = try TemporaryFolder()
        let serving = try await SQLiteCatalog.open(path: folder.path + "/c.sqlite")
        let cached = CachingCatalog(serving, entries: 100)
        let (room, attachment) = try await seed(cached)
        try await warm(cached, room, attachment)
        return (folder, serving, cached, room, attachment, try await SQLiteCatalog.open(path: folder.path + "/c.sqlite"))
    }

    @Test func everyWriteIsSeenByTheNextRead() async throws {
        let folder = try TemporaryFolder()
        let cached = CachingCatalog(try await SQLiteCatalog.open(path: folder.path + "/c.sqlite"), entries: 100)
        let (room, attachment) = try await seed(cached)
        try await warm(cached, room, attachment)
        #expect(cached.counts.rooms == 1 && cached.counts.attachments == 1 && cached.counts.users == 1)
        #expect(cached.counts.roomLists == 1)

        #expect(try await cached.removeMember("fred", from: room.id))
        #expect(try await cached.room(room.id)?.members == ["carol"])
        #expect(try await cached.rooms(of: "fred").isEmpty)
        try await cached.addMember("fred", to: room.id)
        #expect(try await cached.room(room.id)?.members == ["carol", "fred"])
        #expect(try await cached.rooms(of: "fred").map(\.id) == [room.id])
        // A new room with fred in it shows in his list, which held only the first.
        let second = Room(id: .make(), name: "Room for Project B", creator: "carol", members: ["carol", "fred"], createdAt: Date())
        try await cached.createRoom(second)
        #expect(try await cached.rooms(of: "fred").map(\.id) == [second.id, room.id])

        try await cached.recordImage(hash(1), info: ImageInfo(width: 640, height: 480, failure: nil))
        #expect(try await cached.attachment(attachment.id)?.image?.width == 640)

        #expect(try await cached.revokeToken(id: TokenInfo.id(forDigest: Self.fredDigest)))
        #expect(try await cached.user(forTokenDigest: Self.fredDigest) == nil)

        _ = try await cached.user(forTokenDigest: Self.carolDigest)
        #expect(try await cached.removeUser(named: "carol"))
        #expect(try await cached.user(forTokenDigest: Self.carolDigest) == nil)

        #expect(try await cached.deleteAttachment(attachment.id) != nil)
        #expect(try await cached.attachment(attachment.id) == nil)
        #expect(try await cached.thumbnail(of: hash(1), size: 320, method: "scale") == nil,
                "the last reference's thumbnails go with it")
    }

    @Test func otherProcessesWritesAreSeenByTheNextRead() async throws {
        let (folder, serving, cached, room, attachment, other) = try await servingBesideAnotherProcess()
        _ = folder
        #expect(try await other.revokeToken(id: TokenInfo.id(forDigest: Self.fredDigest)))
        #expect(try await other.removeMember("fred", from: room.id))
        #expect(try await other.deleteAttachment(attachment.id) != nil)
        // The marker beside the catalog tells the serving process before its very next read, without a poll.
        #expect(try await cached.user(forTokenDigest: Self.fredDigest) == nil)
        #expect(try await cached.room(room.id)?.members == ["carol"])
        #expect(try await cached.rooms(of: "fred").isEmpty)
        #expect(try await cached.attachment(attachment.id) == nil)
        #expect(try await cached.thumbnail(of: hash(1), size: 320, method: "scale") == nil)
        await other.close()
        await serving.close()
    }

    /// Two instances on one PostgreSQL database: what one writes, the other's caches forget before its next read,
    /// while its follower (woken by NOTIFY) and its requests' catch-ups race to publish the same changes.
    @Test func otherInstancesWritesAreSeenByTheNextReadOnPostgres() async throws {
        let location = try PostgresLocation.parse(try await TestPostgres.freshDatabase())
        let serving = try await TestPostgres.open(location)
        let cached = CachingCatalog(serving, entries: 100)
        let (room, attachment) = try await seed(cached)
        try await warm(cached, room, attachment)
        let other = try await TestPostgres.open(location)
        let following = Task { await serving.followChanges(every: .milliseconds(20), keep: .seconds(600), keepEvents: .seconds(600)) }
        for round in 0..<40 {
            if round % 2 == 0 {
                #expect(try await other.removeMember("fred", from: room.id))
                #expect(try await cached.room(room.id)?.members == ["carol"], "round \(round)")
                #expect(try await cached.rooms(of: "fred").isEmpty, "round \(round)")
            } else {
                try await other.addMember("fred", to: room.id)
                #expect(try await cached.room(room.id)?.members == ["carol", "fred"], "round \(round)")
                #expect(try await cached.rooms(of: "fred").map(\.id) == [room.id], "round \(round)")
            }
        }
        #expect(try await other.revokeToken(id: TokenInfo.id(forDigest: Self.fredDigest)))
        #expect(try await other.deleteAttachment(attachment.id) != nil)
        #expect(try await cached.user(forTokenDigest: Self.fredDigest) == nil)
        #expect(try await cached.attachment(attachment.id) == nil)
        #expect(try await cached.thumbnail(of: hash(1), size: 320, method: "scale") == nil)
        following.cancel()
        await following.value
        await other.close()
        await serving.close()
    }

    @Test func changesPrunedBeforeTheyWereReadForgetEverything() async throws {
        let (folder, serving, cached, room, _, other) = try await servingBesideAnotherProcess()
        let path = folder.path + "/c.sqlite"
        #expect(try await other.removeMember("fred", from: room.id))
        #expect(try await other.revokeToken(id: TokenInfo.id(forDigest: Self.fredDigest)))
        // The serving process was asleep past the changes' retention: the rows are gone before it reads them.
        let pruner = try await SQLiteConnection.open(storage: .file(path: path))
        _ = try await pruner.query("PRAGMA busy_timeout=10000")
        _ = try await pruner.query("DELETE FROM catalog_changes")
        try await pruner.close()
        try await serving.publishRecordedChanges()
        #expect(try await cached.user(forTokenDigest: Self.fredDigest) == nil)
        #expect(try await cached.room(room.id)?.members == ["carol"])
        #expect(try await cached.rooms(of: "fred").isEmpty)
        await other.close()
        await serving.close()
    }

    /// A list longer than the cache keeps is read whole each time, and never held.
    @Test func longRoomListsAreReadNotHeld() async throws {
        let folder = try TemporaryFolder()
        let cached = CachingCatalog(try await SQLiteCatalog.open(path: folder.path + "/c.sqlite"), entries: 100)
        _ = try await seed(cached)
        for n in 0..<CachingCatalog.maxCachedRoomList {
            try await cached.createRoom(Room(id: .make(), name: "Room \(n)", creator: "carol", members: ["carol"], createdAt: Date()))
        }
        #expect(try await cached.rooms(of: "carol").count == CachingCatalog.maxCachedRoomList + 1)
        #expect(try await cached.rooms(of: "fred").count == 1)
        #expect(cached.counts.roomLists == 1, "fred's list of one is held, carol's of 65 is not")
    }

    @Test func cachesStayWithinTheirBoundsAcrossAHundredThousandAttachments() async throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/c.sqlite"
        let catalog = try await SQLiteCatalog.open(path: path)
        let (room, _) = try await seed(catalog)
        // 100,000 rows in one statement, as a bulk import would write them.
        let bulk = try await SQLiteConnection.open(storage: .file(path: path))
        _ = try await bulk.query("PRAGMA busy_timeout=10000")
        _ = try await bulk.query("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
            INSERT INTO attachments (id, room_id, name, size, content_type, sha256, uploader, created_at)
            SELECT printf('att_bulk%06d', i), ?, printf('file-%d.txt', i), i, 'text/plain', ?, 'carol', i FROM n
            """, [.text(room.id.rawValue), .text(hash(3).hex)])
        try await bulk.close()

        let entries = 1000
        let cached = CachingCatalog(catalog, entries: entries)
        for i in 1...100_000 {
            let id = AttachmentID(rawValue: String(format: "att_bulk%06d", i))
            #expect(try await cached.attachment(id)?.size == Int64(i))
            if i % 10_000 == 0 { #expect(cached.counts.attachments <= entries) }
        }
        #expect(cached.counts.attachments <= entries)
        #expect(cached.counts.attachments >= entries / 2, "the cache must hold something, or nothing was measured")
        // The most recently used are the ones kept.
        #expect(try await cached.attachment(AttachmentID(rawValue: "att_bulk100000")) != nil)
        await catalog.close()
    }

    @Test func blobCacheHoldsSmallBlobsWithinItsBytes() async throws {
        let folder = try TemporaryFolder()
        let store = try await FileBlobStore(root: folder.path + "/blobs")
        let cache = BlobCache(capacityBytes: 64 << 10, maxBlobBytes: 8 << 10)
        var stored: [(ContentHash, [UInt8])] = []
        for n in 0..<200 {
            let bytes = pseudoRandomBytes(1024 + n, seed: UInt64(n))
            let staged = try await store.stage(chunks(bytes), limit: 1 << 20, expected: nil)
            _ = try await store.publish(staged)
            stored.append((staged.hash, bytes))
        }
        for (hash, bytes) in stored + stored.reversed() {
            let held = try #require(try await cache.bytes(of: hash, in: store))
            #expect(Array(held.readableBytesView) == bytes)
            #expect(cache.heldBytes <= 64 << 10)
        }
        #expect(cache.heldBytes > 16 << 10)
        let large = pseudoRandomBytes(9 << 10, seed: 99)
        let staged = try await store.stage(chunks(large), limit: 1 << 20, expected: nil)
        _ = try await store.publish(staged)
        #expect(try await cache.bytes(of: staged.hash, in: store) == nil, "larger blobs are streamed, not held")
    }
}
