import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TackCore

@Suite struct CrashTests {
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
        try await Task.sleep(for: .seconds(1))
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
    }
}
