import Foundation
import Testing

/// Background work is durable: a thumbnail queued by an upload is made even when the tackd that queued it (or
/// claimed it) dies, and `tackd jobs` shows where each job stands.
@Suite struct JobTests {
    @Test func aThumbnailJobSurvivesTheDeathOfItsRunner() async throws {
        // Lease of 2 s: the job a killed runner held is taken again soon after the restart.
        let world = try await World.make(config: ["job_lease_seconds": "2"])
        world.tackd.kill()
        try await world.tackd.start(environment: ["TACK_FAILPOINT": "job-claimed"])
        let carol = API(base: world.tackd.base, token: world.carol.token)
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        let upload = try await carol.upload(photo, room: world.room, name: "dune.jpg")
        #expect(upload.status == 201, "the upload is answered before its thumbnail is made")
        let id = try #require(upload.json["id"] as? String)
        // The runner claims the job and dies on the spot, holding its lease.
        try await waitUntilExited(world.tackd)
        let listed = try world.tackd.admin(["jobs"])
        #expect(listed.contains("thumbnail\t\(id)\trunning\tattempts 1") && listed.contains("held by"), "\(listed)")

        try await world.tackd.start()
        let restarted = API(base: world.tackd.base, token: world.carol.token)
        // Nobody asks for the thumbnail: the job alone makes it, once the dead runner's lease lapses.
        var state: String?
        for _ in 0..<150 {
            let json = try await restarted.request(.GET, "/v1/attachments/\(id)").json
            state = (json["thumbnail"] as? [String: Any])?["state"] as? String
            if state == "ready" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state == "ready")
        #expect(try world.tackd.admin(["jobs"]) == "no jobs\n", "a finished job is gone")
    }

    @Test func aFullQueueLeavesThumbnailsToTheirFirstRequest() async throws {
        let world = try await World.make(config: ["thumbnail_queue": "0"])
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        let id = try #require(try await world.carol.upload(photo, room: world.room, name: "d.jpg").json["id"] as? String)
        #expect(try world.tackd.admin(["jobs"]) == "no jobs\n")
        let thumbnail = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        #expect(thumbnail.status == 200 && thumbnail.body.starts(with: [0xFF, 0xD8]))
    }

    func waitUntilExited(_ tackd: Tackd) async throws {
        for _ in 0..<200 {
            if !tackd.isRunning { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("tackd did not die at the failpoint")
    }
}
