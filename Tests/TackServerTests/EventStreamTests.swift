import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// `GET /v1/rooms/{room}/events`: a room's files appear, change and go live; a reconnect catches up; a member who
/// leaves stops hearing anything.
@Suite(.timeLimit(.minutes(5))) struct EventStreamTests {
    @Test func membersSeeFilesArriveGetThumbnailedAndGo() async throws {
        let world = try await World.make()
        let stream = try await EventStream.open(world.fred, room: world.room)
        defer { stream.close() }
        #expect(stream.status == 200)
        #expect(stream.contentType == "text/event-stream")

        let upload = try await world.carol.upload(try RealPhotos.bytes(RealPhotos.baseline), room: world.room, name: "dune.jpg")
        let id = try #require(upload.json["id"] as? String)
        let created = try await stream.waitFor("attachment.created")
        #expect((created.json["attachment"] as? [String: Any])?["name"] as? String == "dune.jpg")
        #expect(created.json["attachmentId"] as? String == id)
        let thumbnailed = try await stream.waitFor("attachment.thumbnailed")
        #expect(((thumbnailed.json["attachment"] as? [String: Any])?["thumbnail"] as? [String: Any])?["state"] as? String == "ready",
                "the event comes once the thumbnail can be fetched")
        #expect(try await world.fred.request(.GET, "/v1/attachments/\(id)/thumbnail?size=320").status == 200)

        #expect(try await world.carol.json(.POST, "/v1/rooms/\(world.room)/messages", ["text": "look", "attachments": [id]]).status == 201)
        let message = try await stream.waitFor("message.created")
        #expect((message.json["message"] as? [String: Any])?["text"] as? String == "look")
        #expect(try await world.carol.request(.DELETE, "/v1/attachments/\(id)").status == 204)
        let deleted = try await stream.waitFor("attachment.deleted")
        #expect(deleted.json["attachmentId"] as? String == id)
        #expect(deleted.json["attachment"] == nil)

        // Ids increase, and a reconnect from the first one gets everything after it, in order.
        let ids = await stream.events().compactMap { $0.id.flatMap { Int($0) } }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        let again = try await EventStream.open(world.fred, room: world.room, lastEventID: created.id)
        defer { again.close() }
        _ = try await again.waitFor("attachment.deleted")
        #expect(await again.events().compactMap(\.event) == ["attachment.thumbnailed", "message.created", "attachment.deleted"])
    }

    /// Reading a file's text for search is an event too, carrying the attachment with its new text state.
    @Test func aFileWhoseTextWasReadIsAnnounced() async throws {
        let world = try await World.make()
        let stream = try await EventStream.open(world.fred, room: world.room)
        defer { stream.close() }
        let upload = try await world.carol.upload(Array("minutes of the kickoff meeting\n".utf8), room: world.room, name: "minutes.txt")
        let id = try #require(upload.json["id"] as? String)
        let read = try await stream.waitFor("attachment.text")
        #expect(read.json["attachmentId"] as? String == id)
        let text = (read.json["attachment"] as? [String: Any])?["text"] as? [String: Any]
        #expect(text?["state"] as? String == "done" && text?["characters"] as? Int == 31, "\(text ?? [:])")
    }

    @Test func aRemovedMemberHearsItAndTheStreamEnds() async throws {
        let world = try await World.make()
        let stream = try await EventStream.open(world.fred, room: world.room)
        defer { stream.close() }
        let others = try await EventStream.open(world.carol, room: world.room)
        defer { others.close() }
        #expect(try await world.carol.json(.POST, "/v1/rooms/\(world.room)/members", ["user": "mallory"]).status == 200)
        #expect(try await stream.waitFor("member.added").json["user"] as? String == "mallory")
        #expect(try await world.carol.request(.DELETE, "/v1/rooms/\(world.room)/members/fred").status == 200)
        let removed = try await stream.waitFor("member.removed")
        #expect(removed.json["user"] as? String == "fred")
        try await stream.waitForEnd()
        // carol's stream goes on, and fred hears nothing more.
        _ = try await world.carol.upload([1, 2, 3], room: world.room, name: "after.bin")
        _ = try await others.waitFor("attachment.created")
        #expect(await stream.events().contains { $0.event == "attachment.created" } == false)
        #expect(try await EventStream.open(world.fred, room: world.room).status == 404)
        let mallorys = try await EventStream.open(world.mallory, room: world.room)
        defer { mallorys.close() }
        #expect(mallorys.status == 200, "mallory is a member now")
    }

    @Test func aRevokedTokenEndsTheStream() async throws {
        let world = try await World.make()
        let stream = try await EventStream.open(world.fred, room: world.room)
        defer { stream.close() }
        // The admin command is another process: its change reaches the serving tackd through the catalog.
        let list = try await world.tackd.admin(["token", "list", "fred"])
        let tokenID = try #require(list.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("tok_") })
        _ = try await world.tackd.admin(["token", "revoke", String(tokenID)])
        try await stream.waitForEnd()
    }

    @Test func idleStreamsGetHeartbeatsAndOldIDsGetAReset() async throws {
        let world = try await World.make(config: ["event_heartbeat_seconds": "1"])
        let stream = try await EventStream.open(world.fred, room: world.room)
        defer { stream.close() }
        try await stream.waitUntil { $0.contains { $0.comment == "heartbeat" } }
        let bogus = try await EventStream.open(world.fred, room: world.room, lastEventID: "x")
        #expect(bogus.status == 400)
        // An id this server never gave (a restored backup): a reset, then the stream goes on from now.
        let future = try await EventStream.open(world.fred, room: world.room, lastEventID: "999999")
        defer { future.close() }
        _ = try await future.waitFor("reset")
        _ = try await world.carol.upload([7], room: world.room, name: "after-reset.bin")
        let created = try await future.waitFor("attachment.created")
        #expect((created.json["attachment"] as? [String: Any])?["name"] as? String == "after-reset.bin")
    }
}

/// One Server-Sent Event (or comment) as a browser's EventSource would parse it.
struct ServerSentEvent: Sendable {
    var id: String?
    var event: String?
    var data = ""
    var comment: String?

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:] }
}

/// A live stream read in the background into a list the test can wait on.
final class EventStream: Sendable {
    let status: Int
    let contentType: String?
    private let collected: Collected
    private let reader: Task<Void, Never>?

    actor Collected {
        var events: [ServerSentEvent] = []
        var ended = false
        func add(_ event: ServerSentEvent) { events.append(event) }
        func end() { ended = true }
    }

    private init(status: Int, contentType: String?, collected: Collected, reader: Task<Void, Never>?) {
        self.status = status
        self.contentType = contentType
        self.collected = collected
        self.reader = reader
    }

    static func open(_ api: API, room: String, lastEventID: String? = nil) async throws -> EventStream {
        var request = HTTPClientRequest(url: api.base + "/v1/rooms/\(room)/events")
        if let token = api.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
        let collected = Collected()
        guard response.status == .ok else {
            return EventStream(status: Int(response.status.code), contentType: nil, collected: collected, reader: nil)
        }
        let reader = Task {
            var pending = ""
            do {
                for try await chunk in response.body {
                    pending += String(buffer: chunk)
                    while let end = pending.range(of: "\n\n") {
                        let block = String(pending[..<end.lowerBound])
                        pending = String(pending[end.upperBound...])
                        await collected.add(Self.parse(block))
                    }
                }
            } catch {}
            await collected.end()
        }
        return EventStream(status: 200, contentType: response.headers["Content-Type"].first, collected: collected, reader: reader)
    }

    static func parse(_ block: String) -> ServerSentEvent {
        var event = ServerSentEvent()
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") { event.comment = line.dropFirst().trimmingCharacters(in: .whitespaces); continue }
            let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
            let value = parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""
            switch parts.first {
            case "id": event.id = value
            case "event": event.event = value
            case "data": event.data += event.data.isEmpty ? value : "\n" + value
            default: break
            }
        }
        return event
    }

    func events() async -> [ServerSentEvent] { await collected.events.filter { $0.event != nil } }

    /// Waits (up to a generous bound, for slow CI machines) until the events so far satisfy `done`.
    func waitUntil(_ done: @Sendable ([ServerSentEvent]) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if done(await collected.events) { return }
            if await collected.ended { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        if done(await collected.events) { return }
        throw HarnessError("the stream never showed what was awaited: \(await collected.events.map { $0.event ?? ":" + ($0.comment ?? "") })")
    }

    /// The first event of this kind.
    func waitFor(_ kind: String) async throws -> ServerSentEvent {
        try await waitUntil { $0.contains { $0.event == kind } }
        return await collected.events.first { $0.event == kind }!
    }

    func waitForEnd() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if await collected.ended { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("the stream stayed open")
    }

    func close() { reader?.cancel() }
}
