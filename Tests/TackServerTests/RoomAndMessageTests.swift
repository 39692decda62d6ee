import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@Suite(.timeLimit(.minutes(5))) struct RoomAndMessageTests {
    @Test func onlyClientsCreateRooms() async throws {
        let world = try await World.make()
        let reply = try await world.fred.json(.POST, "/v1/rooms", ["name": "Freelancer room"])
        #expect(reply.status == 403)
        #expect(reply.errorCode == "clients_only")
        let rooms = try await world.fred.request(.GET, "/v1/rooms")
        let items = try #require(rooms.json["items"] as? [[String: Any]])
        #expect(items.map { $0["id"] as? String } == [world.room])
        #expect(items.first?["members"] as? [String] == ["carol", "fred"])
        let none = try await world.mallory.request(.GET, "/v1/rooms")
        #expect((none.json["items"] as? [Any])?.isEmpty == true)
    }

    @Test func outsidersSeeNothing() async throws {
        let world = try await World.make()
        let upload = try await world.fred.upload(Array("secret plans".utf8), room: world.room, name: "plans.txt")
        let id = try #require(upload.json["id"] as? String)
        for path in ["/v1/rooms/\(world.room)", "/v1/rooms/\(world.room)/attachments", "/v1/rooms/\(world.room)/messages",
                     "/v1/attachments/\(id)", "/v1/attachments/\(id)/content"] {
            let reply = try await world.mallory.request(.GET, path)
            #expect(reply.status == 404, "\(path) must look nonexistent to outsiders")
        }
        #expect(try await world.mallory.upload([1], room: world.room).status == 404)
        #expect(try await world.mallory.json(.POST, "/v1/rooms/\(world.room)/messages", ["text": "hi"]).status == 404)
        #expect(try await world.mallory.json(.POST, "/v1/rooms/\(world.room)/members", ["user": "mallory"]).status == 404)
    }

    @Test func removedMembersLoseAccessAtOnce() async throws {
        let world = try await World.make()
        let upload = try await world.carol.upload(Array("brief".utf8), room: world.room)
        let id = try #require(upload.json["id"] as? String)
        #expect(try await world.fred.request(.GET, "/v1/attachments/\(id)/content").status == 200)
        let notCreator = try await world.fred.request(.DELETE, "/v1/rooms/\(world.room)/members/carol")
        #expect(notCreator.status == 403)
        #expect(notCreator.errorCode == "not_room_creator")
        let removed = try await world.carol.request(.DELETE, "/v1/rooms/\(world.room)/members/fred")
        #expect(removed.status == 200)
        #expect(removed.json["members"] as? [String] == ["carol"])
        #expect(try await world.fred.request(.GET, "/v1/attachments/\(id)/content").status == 404)
        #expect(try await world.fred.request(.GET, "/v1/rooms/\(world.room)/attachments").status == 404)
        #expect(try await world.carol.request(.DELETE, "/v1/rooms/\(world.room)/members/carol").errorCode == "cannot_remove_creator")
        #expect(try await world.carol.request(.DELETE, "/v1/rooms/\(world.room)/members/fred").status == 404)
        let added = try await world.carol.json(.POST, "/v1/rooms/\(world.room)/members", ["user": "mallory"])
        #expect(added.status == 200)
        #expect(try await world.mallory.request(.GET, "/v1/attachments/\(id)/content").status == 200)
    }

    @Test func messagesCarryTheirRoomsAttachments() async throws {
        let world = try await World.make()
        let other = try await world.carol.json(.POST, "/v1/rooms", ["name": "Other"])
        let otherRoom = try #require(other.json["id"] as? String)
        let mine = try #require(try await world.fred.upload([1, 2], room: world.room, name: "mine.bin").json["id"] as? String)
        let foreign = try #require(try await world.carol.upload([3, 4], room: otherRoom, name: "x.bin").json["id"] as? String)

        let posted = try await world.fred.json(.POST, "/v1/rooms/\(world.room)/messages",
                                               ["text": "see attached", "attachments": [mine]])
        #expect(posted.status == 201, "\(posted.text)")
        #expect((posted.json["attachments"] as? [[String: Any]])?.first?["name"] as? String == "mine.bin")

        let refused = try await world.carol.json(.POST, "/v1/rooms/\(world.room)/messages",
                                                 ["text": "sneaky", "attachments": [foreign]])
        #expect(refused.status == 400)
        #expect(refused.errorCode == "foreign_attachment")
        #expect(try await world.carol.json(.POST, "/v1/rooms/\(world.room)/messages", ["text": ""]).errorCode == "empty_message")

        for n in 0..<3 {
            _ = try await world.carol.json(.POST, "/v1/rooms/\(world.room)/messages", ["text": "note \(n)"])
        }
        let page = try await world.fred.request(.GET, "/v1/rooms/\(world.room)/messages?limit=3")
        let items = try #require(page.json["items"] as? [[String: Any]])
        #expect(items.map { $0["text"] as? String } == ["note 2", "note 1", "note 0"])
        let next = try #require(page.json["next"] as? String)
        let rest = try await world.fred.request(.GET, "/v1/rooms/\(world.room)/messages?limit=3&cursor=\(next)")
        let restItems = try #require(rest.json["items"] as? [[String: Any]])
        #expect(restItems.map { $0["text"] as? String } == ["see attached"])
        #expect((restItems.first?["attachments"] as? [[String: Any]])?.first?["id"] as? String == mine)
    }
}
