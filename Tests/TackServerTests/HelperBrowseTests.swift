import Foundation
import Synchronization
import Testing

/// `tack ls --query`, `tack search` and `tack watch` against a real tackd, rooms named the way people name them.
@Suite(.timeLimit(.minutes(5))) struct HelperBrowseTests {
    @Test func listsAndSearchesWithThePlatformsSyntax() async throws {
        let world = try await World.make()
        let design = try #require(try await world.carol.json(.POST, "/v1/rooms", ["name": "Design Review", "members": ["fred"]])
            .json["id"] as? String)
        _ = try await world.carol.upload(Array("a".utf8), room: world.room, name: "budget-notes.txt")
        _ = try await world.fred.upload(Array("b".utf8), room: world.room, name: "logo-draft.txt")
        _ = try await world.fred.upload(Array("c".utf8), room: design, name: "logo-final.txt")
        let helper = try Helper(server: world.tackd.base, token: world.fred.token)

        let fredsInRoom = try await helper.run(["ls", "room for project", "--query", "from:fred"])
        #expect(fredsInRoom.status == 0, "\(fredsInRoom)")
        #expect(fredsInRoom.lines.map { $0.split(separator: "\t").last.map(String.init) } == ["logo-draft.txt"])

        let everywhere = try await helper.run(["search", "logo", "-ext:pdf", "--json"])
        #expect(everywhere.status == 0, "\(everywhere)")
        let found = try JSONSerialization.jsonObject(with: Data(everywhere.stdout.utf8)) as? [[String: Any]]
        #expect(found?.compactMap { $0["name"] as? String } == ["logo-final.txt", "logo-draft.txt"])
        #expect(try await helper.run(["search", "in:\"design review\"", "logo"]).lines.count == 1)

        let bad = try await helper.run(["search", "before:2015-05-01"])
        #expect(bad.status == 4, "\(bad)")
        #expect(bad.stderr.contains("bad_query") && bad.stderr.contains("yyyyMMdd"))
        let nowhere = try await helper.run(["ls", "no such room"])
        #expect(nowhere.status == 4, "\(nowhere)")
        #expect(nowhere.stderr.contains("tack rooms"))
    }

    @Test func watchPrintsEventsUntilTheMemberIsRemoved() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.fred.token)
        let (process, out, err) = try helper.start(["watch", "Room for Project A", "--json"])
        let printed = Mutex("")
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            printed.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        defer {
            out.fileHandleForReading.readabilityHandler = nil
            if process.isRunning { process.terminate() }
        }
        // tack connects in its own time: files are added until one shows up in its output, each line as it happens. The
        // whole suite runs at once on two cores, so its own time can be long.
        let deadline = ContinuousClock.now + .seconds(90)
        var n = 0
        while !printed.withLock({ $0.contains("attachment.created") }), ContinuousClock.now < deadline {
            _ = try await world.carol.upload(Array("ping".utf8) + [UInt8(n)], room: world.room, name: "ping-\(n).txt")
            n += 1
            try await Task.sleep(for: .milliseconds(300))
        }
        let line = try #require(printed.withLock { $0 }.split(separator: "\n").first { $0.contains("attachment.created") })
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let data = try #require(event["data"] as? [String: Any])
        #expect(((data["attachment"] as? [String: Any])?["name"] as? String)?.hasPrefix("ping-") == true)

        #expect(try await world.carol.request(.DELETE, "/v1/rooms/\(world.room)/members/fred").status == 200)
        let watchdog = Watchdog(process, limit: .seconds(60), name: "tack watch")
        let status: Int32 = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
        try watchdog.finish()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(status == 4, "watch ends refused once fred is no longer a member: \(stderr)")
        #expect(printed.withLock { $0 }.contains("\"member.removed\""))
    }
}
