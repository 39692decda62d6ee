import Foundation
import Testing
import TackCore
import TackTestSupport

/// Retention end to end: a room's creator sets it, the clock is moved by ageing the catalog's attachments (as if
/// days had passed), and what goes leaves its messages saying so while everything younger, or kept, stays.
@Suite(.timeLimit(.minutes(5))) struct RetentionTests {
    /// Makes every attachment `days` older, in the catalog file itself (SQLite takes the write beside tackd's).
    func age(_ tackd: Tackd, days: Int) throws {
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], timeout=30)
            db.execute("UPDATE attachments SET created_at = created_at - ?", (int(sys.argv[2]) * 86400000,))
            db.commit()
            """
        let (status, output) = try runProgram("/usr/bin/python3", ["-c", script, "\(tackd.storage)/tack.sqlite", String(days)])
        #expect(status == 0, "\(output)")
    }

    /// `yyyyMMdd` of `days` from now, in UTC.
    func day(_ days: Int) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date().addingTimeInterval(Double(days) * 86_400))
    }

    @Test func attachmentsOlderThanTheirRoomsRetentionGoAndYoungerOnesStay() async throws {
        let world = try await World.make(config: ["retention_days": "45"])
        let carol = world.carol
        func room(_ name: String, retention: Any?) async throws -> String {
            let id = try #require(try await carol.json(.POST, "/v1/rooms", ["name": name, "members": ["fred"]]).json["id"] as? String)
            if let retention {
                let changed = try await carol.json(.PATCH, "/v1/rooms/\(id)", ["retentionDays": retention])
                #expect(changed.status == 200, "\(changed.text)")
                #expect(changed.json["retentionDays"] as? Int == retention as? Int)
            }
            return id
        }
        let month = try await room("A month", retention: 30)
        let twoMonths = try await room("Two months", retention: 60)
        let server = try await room("The server's 45 days", retention: nil)
        let forever = try await room("Kept", retention: 0)
        var ids: [String: String] = [:]
        for (n, target) in [month, twoMonths, server, forever].enumerated() {
            let reply = try await world.fred.upload(pseudoRandomBytes(10_000, seed: UInt64(n)), room: target, name: "f\(n).bin")
            ids[target] = try #require(reply.json["id"] as? String)
        }
        let message = try await world.fred.json(.POST, "/v1/rooms/\(month)/messages", ["text": "the plan", "attachments": [ids[month]!]])
        #expect(message.status == 201)

        let preview = try await world.tackd.admin(["retention", "--dry-run", "--as-of", day(31)])
        #expect(preview.contains(ids[month]!) && preview.contains("would delete 1 attachments"), "\(preview)")
        #expect(try await carol.request(.GET, "/v1/attachments/\(ids[month]!)").status == 200, "a dry run deletes nothing")
        #expect(try await world.tackd.admin(["retention", "--dry-run", "--as-of", day(29)]).contains("would delete 0 attachments"))
        await #expect(throws: (any Error).self, "--as-of only previews") { try await world.tackd.admin(["retention", "--as-of", day(31)]) }

        try age(world.tackd, days: 29)
        #expect(try await world.tackd.admin(["retention"]).contains("deleted 0 attachments"))
        try age(world.tackd, days: 2)
        #expect(try await world.tackd.admin(["retention"]).contains("deleted 1 attachments"))
        #expect(try await carol.request(.GET, "/v1/attachments/\(ids[month]!)").status == 404)
        for kept in [twoMonths, server, forever] {
            #expect(try await carol.request(.GET, "/v1/attachments/\(ids[kept]!)").status == 200)
        }
        let messages = try await carol.request(.GET, "/v1/rooms/\(month)/messages")
        let shown = try #require((messages.json["items"] as? [[String: Any]])?.first)
        #expect((shown["attachments"] as? [Any])?.isEmpty == true)
        let removed = try #require((shown["removed"] as? [[String: Any]])?.first)
        #expect(removed["id"] as? String == ids[month] && removed["name"] as? String == "f0.bin")
        #expect(removed["reason"] as? String == "retention")

        // Past the server's 45 days the room that follows it goes too; the 60-day and the keep-forever rooms stay.
        try age(world.tackd, days: 15)
        #expect(try await world.tackd.admin(["retention"]).contains("deleted 1 attachments"))
        #expect(try await carol.request(.GET, "/v1/attachments/\(ids[server]!)").status == 404)
        try age(world.tackd, days: 1000)
        #expect(try await world.tackd.admin(["retention"]).contains(ids[twoMonths]!))
        #expect(try await carol.request(.GET, "/v1/attachments/\(ids[forever]!)").status == 200)
        let blobs = world.tackd.storedBlobCount()
        _ = try await world.tackd.admin(["gc"])
        #expect(world.tackd.storedBlobCount() == blobs - 3, "gc reclaims the bytes retention released")
    }

    /// Only the room's creator sets retention; a member is refused, an outsider finds no room, and odd values
    /// are refused with a reason.
    @Test func onlyTheCreatorSetsRetention() async throws {
        let world = try await World.make()
        let path = "/v1/rooms/\(world.room)"
        #expect(try await world.fred.json(.PATCH, path, ["retentionDays": 7]).errorCode == "not_room_creator")
        #expect(try await world.mallory.json(.PATCH, path, ["retentionDays": 7]).status == 404)
        for bad in [["retentionDays": -1], ["retentionDays": 40_000], ["retentionDays": "7"], [:]] as [[String: Any]] {
            let reply = try await world.carol.json(.PATCH, path, bad)
            #expect(reply.status == 400, "\(bad): \(reply.text)")
        }
        #expect(try await world.carol.json(.PATCH, path, ["retentionDays": 7]).json["retentionDays"] as? Int == 7)
        let reset = try await world.carol.json(.PATCH, path, ["retentionDays": NSNull()])
        #expect(reset.status == 200 && reset.json["retentionDays"] is NSNull, "null follows the server again")
        #expect(try await world.fred.request(.GET, path).json.keys.contains("retentionDays"))
    }

    /// A message whose attachment its uploader deleted says so too.
    @Test func aDeletedAttachmentLeavesANoteInItsMessage() async throws {
        let world = try await World.make()
        let id = try #require(try await world.fred.upload([1, 2, 3], room: world.room, name: "gone.txt").json["id"] as? String)
        _ = try await world.fred.json(.POST, "/v1/rooms/\(world.room)/messages", ["text": "here", "attachments": [id]])
        #expect(try await world.fred.request(.DELETE, "/v1/attachments/\(id)").status == 204)
        let messages = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/messages")
        let removed = try #require(((messages.json["items"] as? [[String: Any]])?.first?["removed"] as? [[String: Any]])?.first)
        #expect(removed["reason"] as? String == "deleted" && removed["name"] as? String == "gone.txt")
    }
}
