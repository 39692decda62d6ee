import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TackCore

@Suite(.timeLimit(.minutes(5))) struct CrashTests {
    /// SIGKILL in the middle of uploads: what got a 201 survives intact, nothing else appears, leftovers go.
    @Test func killedMidUploadLosesNothingConfirmed() async throws {
        let world = try await World.make()
        var confirmed: [String: [UInt8]] = [:]
        for n in 0..<4 {
            let bytes = pseudoRandomBytes(300_000 + n, seed: UInt64(100 + n))
            let reply = try await world.fred.upload(bytes, room: world.room, name: "done-\(n).bin")
            #expect(reply.status == 201)
            confirmed[try #require(reply.json["id"] as? String)] = bytes
        }
        // Uploads still streaming when the server dies.
        let api = world.carol
        let room = world.room
        let inFlight = (0..<3).map { n in
            Task {
                try? await api.request(
                    .POST, "/v1/rooms/\(room)/attachments?name=partial-\(n).bin",
                    body: .stream(StallingBody(first: 1 << 20), length: .known(Int64(8 << 20))))
            }
        }
        // A staging file a crashed writer left behind on a file system without O_TMPFILE.
        let leftover = "\(world.tackd.storage)/blobs/tmp/4194305-s_leftover.part"
        #expect(FileManager.default.createFile(atPath: leftover, contents: Data(repeating: 7, count: 4096)))
        // The kill lands mid-stream: tackd reports the three uploads under way and holds an unnamed (O_TMPFILE)
        // staging file open for each.
        let deadline = ContinuousClock.now + .seconds(30)
        var staging: [String] = []
        var receiving: Double?
        while ContinuousClock.now < deadline {
            staging = world.tackd.openFiles().filter { $0.contains("/blobs/tmp/") }
            receiving = try await world.tackd.uploadsInFlight()
            if receiving == 3 && staging.count == 3 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(receiving == 3, "tackd reports the uploads in flight")
        #expect(staging.count == 3 && staging.allSatisfy { $0.hasSuffix("(deleted)") }, "\(staging)")
        world.tackd.kill()
        for task in inFlight { task.cancel() }

        let restarted = try Tackd(storage: world.tackd.storage)
        try await restarted.start()
        defer { restarted.kill() }
        let carol = API(base: restarted.base, token: world.carol.token)
        let list = try await carol.request(.GET, "/v1/rooms/\(world.room)/attachments?limit=200")
        let items = try #require(list.json["items"] as? [[String: Any]])
        #expect(Set(items.compactMap { $0["id"] as? String }) == Set(confirmed.keys), "only confirmed uploads are listed")
        #expect(items.allSatisfy { ($0["name"] as? String)?.hasPrefix("done-") == true })
        for (id, bytes) in confirmed {
            let (status, _, digest, count) = try await carol.downloadDigest("/v1/attachments/\(id)/content")
            #expect(status == 200)
            #expect(count == bytes.count)
            #expect(digest == sha256(bytes))
        }
        #expect(!FileManager.default.fileExists(atPath: leftover), "start-up sweeps staging of dead writers")
        #expect(restarted.stagingFiles().isEmpty)
        // Of the 3 MiB the partial uploads had sent, nothing reached the blob folder: it holds the confirmed bytes.
        #expect(restarted.storedBlobCount() == confirmed.count)
        #expect(restarted.storedBlobBytes() == confirmed.values.map(\.count).reduce(0, +))
    }

    /// Dying after the blob is published but before the catalog records it: nothing is listed, and the orphan
    /// blob is kept while its pin lasts, then collected.
    @Test func killedBetweenPublishAndRecordShowsNothing() async throws {
        let world = try await World.make()
        world.tackd.kill()
        try await world.tackd.start(environment: ["TACK_FAILPOINT": "after-publish"])
        let bytes = pseudoRandomBytes(70_000, seed: 77)
        let doomed = API(base: world.tackd.base, token: world.carol.token)
        #expect(try await doomed.request(.GET, "/v1/rooms").status == 200, "the armed tackd serves until the point")
        await #expect(throws: (any Error).self) { _ = try await doomed.upload(bytes, room: world.room) }
        world.tackd.kill()

        let restarted = try Tackd(storage: world.tackd.storage)
        try await restarted.start()
        defer { restarted.kill() }
        let carol = API(base: restarted.base, token: world.carol.token)
        let list = try await carol.request(.GET, "/v1/rooms/\(world.room)/attachments")
        #expect((list.json["items"] as? [Any])?.isEmpty == true, "an upload that never got its 201 is not listed")
        #expect(restarted.storedBlobCount() == 1, "the published bytes are there, unreferenced")
        let report = try await restarted.admin(["gc"])
        #expect(report.contains("removed 0"), "the pin keeps the blob while the upload might still finish: \(report)")
        let retry = try await carol.upload(bytes, room: world.room)
        #expect(retry.status == 201, "a retry of the same bytes succeeds and reuses the blob")
        #expect(restarted.storedBlobCount() == 1)
    }

    /// Thumbnails are stored through the same step as uploads: a crash between publishing one and recording it
    /// leaves a pinned blob that gc keeps, and the next request makes the thumbnail again onto the same bytes.
    @Test func killedBetweenPublishingAThumbnailAndRecordingIt() async throws {
        let world = try await World.make(config: ["thumbnail_queue": "0"])
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        let id = try #require(try await world.carol.upload(photo, room: world.room, name: "d.jpg").json["id"] as? String)
        #expect(world.tackd.storedBlobCount() == 1)
        world.tackd.kill()
        try await world.tackd.start(environment: ["TACK_FAILPOINT": "after-publish"])
        let doomed = API(base: world.tackd.base, token: world.carol.token)
        await #expect(throws: (any Error).self) { _ = try await doomed.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320") }
        world.tackd.kill()

        let restarted = try Tackd(storage: world.tackd.storage)
        try await restarted.start()
        defer { restarted.kill() }
        #expect(restarted.storedBlobCount() == 2, "the thumbnail's bytes were published")
        #expect(try await restarted.admin(["gc"]).contains("removed 0"), "its pin keeps it from gc")
        let carol = API(base: restarted.base, token: world.carol.token)
        let thumbnail = try await carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        #expect(thumbnail.status == 200 && thumbnail.body.starts(with: [0xFF, 0xD8]))
        #expect(restarted.storedBlobCount() == 2, "made again onto the same bytes")
    }
}
