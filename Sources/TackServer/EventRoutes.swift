import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import TackCore
import TackStorage

/// `GET /v1/rooms/{room}/events`: what happens in a room, live, as Server-Sent Events.
///
/// Each event has an `id:` (its number across all rooms) and an `event:` naming its kind; a client that reconnects
/// with `Last-Event-ID` gets what it missed, or a `reset` event when that is older than tackd keeps. The stream
/// closes when the caller stops being a member (after the `member.removed` event that says so), when their token is
/// revoked, and when tackd shuts down.
struct EventRoutes: Sendable {
    let catalog: any Catalog
    /// How long a stream may stay silent before a comment keeps proxies from closing it.
    let heartbeat: Duration
    /// Which files' text is read, for the attachments events carry.
    let reading: TextReading
    var access: RoomAccess { RoomAccess(catalog: catalog) }
    /// Events read per query; a stream far behind catches up in batches.
    static let batchSize = 200

    func register(on router: RouterGroup<TackRequestContext>) {
        router.get("rooms/{room}/events", use: stream)
    }

    @Sendable func stream(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let room = try await access.room(context.parameters.require("room"), visibleTo: user)
        var start = try Self.lastEventID(request)
        if start == nil { start = try await catalog.latestRoomEvent() }
        let stream = RoomStream(catalog: catalog, room: room.id, user: user.name, tokenDigest: context.tokenDigest,
                                heartbeat: heartbeat, position: start ?? 0, reading: reading)
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store",
                      // nginx would otherwise hold events back in its buffer.
                      .accelBuffering: "no"],
            body: ResponseBody { writer in
                try await stream.run { try await writer.write(ByteBuffer(string: $0)) }
                try await writer.finish(nil)
            })
    }

    /// `Last-Event-ID` (EventSource sends it by itself when it reconnects); nil when absent.
    static func lastEventID(_ request: Request) throws -> Int64? {
        guard let raw = request.headers[.lastEventID] else { return nil }
        guard let id = Int64(raw.trimmingCharacters(in: .whitespaces)), id >= 0 else {
            throw TackError.invalid(.invalidCursor, "Last-Event-ID must be the id of an event this stream sent")
        }
        return id
    }
}

/// One member's live view of one room: wakes when the catalog publishes something for the room (or about the member),
/// and at least every heartbeat, re-checks access, and writes the events it has not written yet.
struct RoomStream: Sendable {
    let catalog: any Catalog
    let room: RoomID
    let user: String
    let tokenDigest: String?
    let heartbeat: Duration
    let position: Int64
    let reading: TextReading

    private enum Tick { case change, heartbeat }

    func run(write: (String) async throws -> Void) async throws {
        let (ticks, continuation) = AsyncStream<Tick>.makeStream(bufferingPolicy: .bufferingNewest(4))
        let (room, user) = (self.room, self.user)
        let subscription = catalog.changes.subscribe { change in
            switch change {
            case .events(room), .room(room), .user(user), .everything: continuation.yield(.change)
            default: break
            }
        }
        let heartbeat = self.heartbeat
        let beats = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeat)
                continuation.yield(.heartbeat)
            }
        }
        defer {
            subscription.cancel()
            beats.cancel()
            continuation.finish()
        }
        // Reconnect after 3 s when the connection drops (EventSource's default is similar but unspecified).
        try await write("retry: 3000\n: connected\n\n")
        var position = self.position
        let latest = try await catalog.latestRoomEvent()
        if position > latest {
            // An id this catalog never gave (a restored backup, another server): start over from now.
            position = latest
            try await write("id: \(position)\nevent: reset\ndata: {\"reason\":\"that event is unknown here; reload\"}\n\n")
        }
        try await withGracefulShutdownHandler {
            var wroteSinceBeat = false
            guard try await deliver(from: &position, wrote: &wroteSinceBeat, write: write) else { return }
            for await tick in ticks {
                guard try await deliver(from: &position, wrote: &wroteSinceBeat, write: write) else { return }
                if tick == .heartbeat {
                    if !wroteSinceBeat { try await write(": heartbeat\n\n") }
                    wroteSinceBeat = false
                }
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
    }

    /// Writes the events after `position`; false when the stream must end (no longer a member, token revoked).
    ///
    /// A member who was removed still gets the events from while they were a member, up to their own
    /// `member.removed`, and nothing after it: the stream's last word says why it ends.
    private func deliver(from position: inout Int64, wrote: inout Bool,
                         write: (String) async throws -> Void) async throws -> Bool {
        while true {
            let allowed = try await stillAllowed()
            let batch = try await catalog.roomEvents(in: room, after: position, limit: EventRoutes.batchSize)
            guard allowed || batch.events.contains(where: { $0.kind == .memberRemoved && $0.subject == user }) else {
                // Access went without a removal to tell of (a revoked token, a removed user): nothing more is sent.
                return false
            }
            if batch.missedSome {
                // Older than tackd keeps: the client reloads what it shows, then follows from the newest event.
                position = try await catalog.latestRoomEvent()
                try await write("id: \(position)\nevent: reset\ndata: {\"reason\":\"events since your last one are no longer kept; reload\"}\n\n")
                wrote = true
                return true
            }
            for event in batch.events {
                try await write(try await render(event))
                wrote = true
                position = event.seq
                if event.kind == .memberRemoved, event.subject == user { return false }
            }
            if batch.events.count < EventRoutes.batchSize { return true }
        }
    }

    private func stillAllowed() async throws -> Bool {
        if let tokenDigest, try await catalog.user(forTokenDigest: tokenDigest)?.name != user { return false }
        guard let current = try await catalog.room(room) else { return false }
        return AccessPolicy.canSee(current, as: user)
    }

    private func render(_ event: RoomEvent) async throws -> String {
        var data = EventJSON(room: event.room.rawValue, at: event.at)
        switch event.kind {
        case .attachmentCreated, .attachmentThumbnailed, .attachmentTextRead, .attachmentDeleted:
            data.attachmentId = event.subject
            if event.kind != .attachmentDeleted, let attachment = try await catalog.attachment(AttachmentID(rawValue: event.subject)),
               attachment.room == room {
                data.attachment = AttachmentJSON(attachment, reading: reading)
            }
        case .messageCreated:
            data.messageId = event.subject
            if let message = try await catalog.message(MessageID(rawValue: event.subject)), message.room == room {
                data.message = MessageJSON(message, reading: reading)
            }
        case .memberAdded, .memberRemoved:
            data.user = event.subject
        }
        let json = String(decoding: try JSONBody.encoder().encode(data), as: UTF8.self)
        // JSON from the encoder holds no raw newline, so one `data:` line carries it.
        return "id: \(event.seq)\nevent: \(event.kind.rawValue)\ndata: \(json)\n\n"
    }
}

/// An event's `data:`: the attachment or message as the API shows it (absent once deleted), or the member.
struct EventJSON: Encodable {
    let room: String
    let at: Date
    var attachmentId: String?
    var attachment: AttachmentJSON?
    var messageId: String?
    var message: MessageJSON?
    var user: String?

    init(room: String, at: Date) {
        self.room = room
        self.at = at
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
