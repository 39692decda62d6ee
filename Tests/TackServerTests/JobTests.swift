import Foundation
import Testing

/// Background work is durable: a thumbnail queued by an upload is made even when the tackd that queued it (or
/// claimed it) dies, and `tackd jobs` shows where each job stands.
@Suite(.timeLimit(.minutes(5))) struct JobTests {
    @Test func aThumbnailJobSurvivesTheDeathOfItsRunner() async throws {
        // Lease of 2 s: the job a killed runner held is taken again soon after the restart.
        let world = try await World.make(config: ["job_lease_seconds": "2"])
        let id = try await uploadAndDieClaimingItsThumbnail(world)

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
        #expect(try await world.tackd.admin(["jobs"]) == "no jobs\n", "a finished job is gone")
    }

    @Test func aJobThatKeepsKillingItsRunnerIsGivenUp() async throws {
        let world = try await World.make(config: ["job_lease_seconds": "2", "job_attempts": "1"])
        let id = try await uploadAndDieClaimingItsThumbnail(world)
        // Still armed: were the job handed out again, this tackd would die too.
        try await world.tackd.start(environment: ["TACK_FAILPOINT": "job-claimed"])
        var listed = ""
        for _ in 0..<100 {
            listed = try await world.tackd.admin(["jobs"])
            if listed.contains("\tfailed\t") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(listed.contains("thumbnail\t\(id)\tfailed\tattempts 1") && listed.contains("stopped while running it"),
                "\(listed)")
        #expect(world.tackd.isRunning)
        let carol = API(base: world.tackd.base, token: world.carol.token)
        #expect(try await carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320").status == 200,
                "a request still makes the thumbnail")
    }

    /// Restarts tackd armed to die as soon as its runner claims a job, uploads a photo and waits for the death;
    /// returns the attachment id, read from `tackd jobs` (the upload's answer may or may not have got out first).
    func uploadAndDieClaimingItsThumbnail(_ world: World) async throws -> String {
        world.tackd.kill()
        try await world.tackd.start(environment: ["TACK_FAILPOINT": "job-claimed"])
        let carol = API(base: world.tackd.base, token: world.carol.token)
        _ = try? await carol.upload(try RealPhotos.bytes(RealPhotos.baseline), room: world.room, name: "dune.jpg")
        try await waitUntilExited(world.tackd)
        let listed = try await world.tackd.admin(["jobs"])
        let fields = try #require(listed.split(separator: "\n").first?.split(separator: "\t"), "\(listed)")
        #expect(fields.count >= 6 && fields[1] == "thumbnail" && fields[3] == "running" && fields[4] == "attempts 1",
                "\(listed)")
        #expect(listed.contains("held by"))
        return String(fields[2])
    }

    @Test func aFullQueueLeavesThumbnailsToTheirFirstRequest() async throws {
        let world = try await World.make(config: ["thumbnail_queue": "0"])
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        let id = try #require(try await world.carol.upload(photo, room: world.room, name: "d.jpg").json["id"] as? String)
        #expect(try await world.tackd.admin(["jobs"]) == "no jobs\n")
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
