import Foundation
import NIOCore
import Testing

/// `Idempotency-Key` on uploads and messages, over real HTTP.
@Suite(.timeLimit(.minutes(5))) struct IdempotencyTests {
    @Test func aRepeatedUploadReturnsTheFirstAndStoresNothingNew() async throws {
        let world = try await World.make()
        let bytes = pseudoRandomBytes(70_000, seed: 12)
        let first = try await world.fred.upload(bytes, room: world.room, name: "a.bin", headers: [("Idempotency-Key", "tack-1-0")])
        #expect(first.status == 201)
        #expect(first.json["receivedSha256"] as? String == sha256(bytes).hex)
        let again = try await world.fred.upload(bytes, room: world.room, name: "a.bin", headers: [("Idempotency-Key", "tack-1-0")])
        #expect(again.status == 200)
        #expect(again.json["id"] as? String == first.json["id"] as? String)
        let items = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        #expect(items?.count == 1)
        // Another user's identical key is their own.
        let carols = try await world.carol.upload(bytes, room: world.room, name: "a.bin", headers: [("Idempotency-Key", "tack-1-0")])
        #expect(carols.status == 201 && carols.json["id"] as? String != first.json["id"] as? String)
        // The same key in another room is a client bug, said plainly.
        let other = try await world.carol.json(.POST, "/v1/rooms", ["name": "Other", "members": ["fred"]]).json["id"] as! String
        let reused = try await world.fred.upload(bytes, room: other, name: "a.bin", headers: [("Idempotency-Key", "tack-1-0")])
        #expect(reused.status == 409 && reused.errorCode == "idempotency_key_reused")
        let bad = try await world.fred.upload(bytes, room: world.room, headers: [("Idempotency-Key", "has space")])
        #expect(bad.status == 400 && bad.errorCode == "invalid_idempotency_key")
    }

    @Test func aRepeatedMessageReturnsTheFirst() async throws {
        let world = try await World.make()
        let body = try JSONSerialization.data(withJSONObject: ["text": "once"])
        func post() async throws -> Reply {
            try await world.fred.request(.POST, "/v1/rooms/\(world.room)/messages",
                                         headers: [("Content-Type", "application/json"), ("Idempotency-Key", "m-1")],
                                         body: .bytes(ByteBuffer(bytes: body)))
        }
        let first = try await post(), second = try await post()
        #expect(first.status == 201 && second.status == 200)
        #expect(first.json["id"] as? String == second.json["id"] as? String)
        let messages = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/messages").json["items"] as? [[String: Any]]
        #expect(messages?.count == 1)
    }
}
