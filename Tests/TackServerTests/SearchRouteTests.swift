import Foundation
import Testing

/// Search and the categorized view through tackd's API: the syntax, the caller's rooms only, and errors that say
/// where the query went wrong.
@Suite(.timeLimit(.minutes(5))) struct SearchRouteTests {
    private func names(_ reply: Reply) -> [String] {
        ((reply.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
    }

    private func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    @Test func searchesOneRoomOrEveryRoomTheCallerIsIn() async throws {
        let world = try await World.make()
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        _ = try await world.carol.upload(photo, room: world.room, name: "launch-poster.jpg")
        let shot = try await world.fred.upload(photo + [0], room: world.room, name: "Screenshot 2026-11-30.jpg",
                                               headers: [])
        #expect(shot.status == 201)
        let report = try await world.fred.upload(Array("%PDF-1.4\n".utf8), room: world.room, name: "q3-report.pdf")
        let reportID = try #require(report.json["id"] as? String)
        #expect(try await world.fred.json(.POST, "/v1/rooms/\(world.room)/messages",
                                          ["text": "the launch plan, final", "attachments": [reportID]]).status == 201)
        // carol's second room, without fred.
        let other = try #require(try await world.carol.json(.POST, "/v1/rooms", ["name": "Design Review"]).json["id"] as? String)
        _ = try await world.carol.upload(Array("notes".utf8), room: other, name: "launch-notes.txt")

        let inRoom = "/v1/rooms/\(world.room)/attachments?q="
        #expect(names(try await world.carol.request(.GET, inRoom + query("from:fred type:image"))) == ["Screenshot 2026-11-30.jpg"])
        #expect(names(try await world.carol.request(.GET, inRoom + query("\"launch plan\""))) == ["q3-report.pdf"],
                "a phrase in the message that carries the file finds it")
        #expect(names(try await world.carol.request(.GET, inRoom + query("launch -type:document"))) == ["launch-poster.jpg"])
        #expect(names(try await world.carol.request(.GET, inRoom + query("ext:pdf after:20260101"))) == ["q3-report.pdf"])

        let everywhere = "/v1/attachments?q="
        #expect(Set(names(try await world.carol.request(.GET, everywhere + "launch")))
                == ["launch-poster.jpg", "q3-report.pdf", "launch-notes.txt"])
        #expect(names(try await world.carol.request(.GET, everywhere + query("launch in:\"design review\""))) == ["launch-notes.txt"])
        #expect(Set(names(try await world.fred.request(.GET, everywhere + "launch"))) == ["launch-poster.jpg", "q3-report.pdf"],
                "fred is not in Design Review: nothing of it shows")
        #expect(names(try await world.fred.request(.GET, everywhere + query("in:\"Design Review\""))) == [])
        #expect(names(try await world.mallory.request(.GET, "/v1/attachments")) == [])
        #expect(try await world.mallory.request(.GET, inRoom + "launch").status == 404)
        #expect(try await world.mallory.request(.GET, "/v1/rooms/\(world.room)/attachments/summary").status == 404)

        // Paging a search: two by two, newest first, nothing twice.
        var seen: [String] = []
        var path = everywhere + "launch&limit=2"
        while true {
            let page = try await world.carol.request(.GET, path)
            seen += names(page)
            guard let next = page.json["next"] as? String else { break }
            path = everywhere + "launch&limit=2&cursor=\(next)"
        }
        #expect(seen == ["launch-notes.txt", "q3-report.pdf", "launch-poster.jpg"])
    }

    @Test func aQueryThatCannotBeReadSaysWhereAndWhy() async throws {
        let world = try await World.make()
        let base = "/v1/rooms/\(world.room)/attachments?q="
        for (text, position) in [("before:2015-05-01", 7), ("type:banana", 5), ("cats colour:red", 5), ("\"open", 0)] {
            let reply = try await world.carol.request(.GET, base + query(text))
            #expect(reply.status == 400, "\(text)")
            let error = try #require(reply.json["error"] as? [String: Any])
            #expect(error["code"] as? String == "bad_query")
            #expect(error["position"] as? Int == position, "\(text): \(reply.text)")
            #expect((error["message"] as? String)?.contains("expected") == true || text == "\"open")
        }
        let zone = try await world.carol.request(.GET, base + "x&tz=Mars%2FOlympus")
        #expect(zone.status == 400)
        #expect(zone.errorCode == "invalid_time_zone")
        let long = try await world.carol.request(.GET, base + String(repeating: "a", count: 2000))
        #expect(long.errorCode == "bad_query")
    }

    @Test func theSummaryCountsByTypeForTheSameQuery() async throws {
        let world = try await World.make()
        let photo = try RealPhotos.bytes(RealPhotos.baseline)
        var sizes: [Int] = []
        sizes.append(try #require(try await world.carol.upload(photo, room: world.room, name: "photo.jpg").json["size"] as? Int))
        let shot = try await world.carol.request(
            .POST, "/v1/rooms/\(world.room)/attachments?name=shot.jpg&origin=screenshot", body: .bytes(.init(bytes: photo + [1])))
        #expect(shot.status == 201)
        #expect((shot.json["types"] as? [String]) == ["image", "screenshot"])
        sizes.append(try #require(shot.json["size"] as? Int))
        _ = try await world.carol.upload(Array("%PDF-1.4\n".utf8), room: world.room, name: "a.pdf")
        _ = try await world.fred.upload([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26), room: world.room, name: "b.zip")
        sizes += [9, 30]
        let bad = try await world.carol.request(.POST, "/v1/rooms/\(world.room)/attachments?name=x&origin=banana",
                                                body: .bytes(.init(bytes: [1])))
        #expect(bad.errorCode == "invalid_origin")

        let all = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments/summary")
        #expect(all.status == 200)
        let types = try #require(all.json["types"] as? [String: [String: Any]])
        #expect(types["image"]?["count"] as? Int == 2)
        #expect(types["screenshot"]?["count"] as? Int == 1)
        #expect(types["document"]?["count"] as? Int == 1)
        #expect(types["archive"]?["count"] as? Int == 1)
        #expect(types["video"]?["count"] as? Int == 0)
        #expect((all.json["total"] as? [String: Any])?["count"] as? Int == 4)
        #expect((all.json["total"] as? [String: Any])?["bytes"] as? Int == sizes.reduce(0, +))

        let fred = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments/summary?q=from%3Afred")
        #expect((fred.json["total"] as? [String: Any])?["count"] as? Int == 1)
        #expect(((fred.json["types"] as? [String: [String: Any]])?["archive"])?["count"] as? Int == 1)
        let screenshots = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments?q=type%3Ascreenshot")
        #expect(names(screenshots) == ["shot.jpg"])
    }
}
