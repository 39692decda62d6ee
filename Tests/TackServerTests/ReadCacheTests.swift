import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import Testing

/// tackd answers reads from its caches, and every change that takes access away takes effect on the very next
/// request however warm they are, changes made by another process (the admin commands) included.
@Suite(.timeLimit(.minutes(5))) struct ReadCacheTests {
    /// fred's photo in carol's room, its thumbnail made, and every path fred reads it by, each read twice so every
    /// cache holds it.
    func warmWorld() async throws -> (World, id: String, paths: [String]) {
        let world = try await World.make()
        let upload = try await world.fred.upload(try RealPhotos.bytes(RealPhotos.baseline), room: world.room, name: "dune.jpg")
        let id = try #require(upload.json["id"] as? String)
        let paths = ["/v1/attachments/\(id)", "/v1/attachments/\(id)/content", "/v1/attachments/\(id)/thumbnail?size=320",
                     "/v1/rooms/\(world.room)", "/v1/rooms/\(world.room)/attachments"]
        for _ in 0..<2 {
            for path in paths {
                let reply = try await world.fred.request(.GET, path)
                #expect(reply.status == 200, "\(path)")
            }
        }
        return (world, id, paths)
    }

    @Test func thumbnailsComeFromMemoryAndAreTheStoredBytes() async throws {
        let (world, id, _) = try await warmWorld()
        let reply = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320")
        #expect(reply.status == 200)
        let etag = try #require(reply.headers["ETag"].first)
        #expect(etag == "\"\(sha256(reply.body).hex)\"", "the bytes served are the blob the ETag names")
        #expect(reply.headers["Content-Length"].first == String(reply.body.count))
        let notModified = try await world.carol.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320",
                                                         headers: [("If-None-Match", etag)])
        #expect(notModified.status == 304)
    }

    @Test func aRemovedMemberIsRefusedOnTheNextRequest() async throws {
        let (world, _, paths) = try await warmWorld()
        #expect(try await world.carol.request(.DELETE, "/v1/rooms/\(world.room)/members/fred").status == 200)
        for path in paths {
            let reply = try await world.fred.request(.GET, path)
            #expect(reply.status == 404, "\(path) after fred left")
            #expect(reply.errorCode == "not_found")
        }
    }

    @Test func aDeletedAttachmentIsGoneOnTheNextRequest() async throws {
        let (world, id, paths) = try await warmWorld()
        #expect(try await world.carol.request(.DELETE, "/v1/attachments/\(id)").status == 204)
        for path in paths where path.contains(id) {
            #expect(try await world.fred.request(.GET, path).status == 404, "\(path) after the delete")
        }
        let page = try await world.fred.request(.GET, "/v1/rooms/\(world.room)/attachments")
        #expect((page.json["items"] as? [Any])?.isEmpty == true)
    }

    @Test func pagesShowNewUploadsAndThumbnailStatesAtOnce() async throws {
        let world = try await World.make()
        let list = "/v1/rooms/\(world.room)/attachments"
        #expect((try await world.fred.request(.GET, list).json["items"] as? [Any])?.isEmpty == true)
        let upload = try await world.fred.upload(try RealPhotos.bytes(RealPhotos.baseline), room: world.room, name: "dune.jpg")
        let id = try #require(upload.json["id"] as? String)
        let listed = try #require(try await world.fred.request(.GET, list).json["items"] as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String } == [id], "the empty page was cached; the upload must replace it")
        // The thumbnail's answer comes after its image facts are recorded: the page must show them from then on.
        #expect(try await world.fred.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320").status == 200)
        let item = try #require((try await world.fred.request(.GET, list).json["items"] as? [[String: Any]])?.first)
        #expect((item["thumbnail"] as? [String: Any])?["state"] as? String == "ready")
        #expect(item["width"] as? Int == 1680 && item["height"] as? Int == 1050)
    }

    @Test func tokensRevokedAndUsersRemovedByTheAdminCommandsStopWorking() async throws {
        let (world, id, _) = try await warmWorld()
        let listed = try await world.tackd.admin(["token", "list", "fred"])
        let tokenID = try #require(listed.split(separator: " ").first.map(String.init))
        try await world.tackd.admin(["token", "revoke", tokenID])
        // Another process wrote the change; the running tackd sees the change marker before its next answer.
        #expect(try await world.fred.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320").status == 401)

        #expect(try await world.carol.request(.GET, "/v1/attachments/\(id)").status == 200)
        try await world.tackd.admin(["user", "remove", "carol"])
        #expect(try await world.carol.request(.GET, "/v1/attachments/\(id)").status == 401)
    }
}
