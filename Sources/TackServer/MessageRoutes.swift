import Foundation
import Hummingbird
import TackCore
import TackStorage

/// `/v1/rooms/{room}/messages`: messages that carry a room's attachments.
struct MessageRoutes: Sendable {
    let catalog: any Catalog
    let limits: Limits
    let reading: TextReading
    var access: RoomAccess { RoomAccess(catalog: catalog) }

    struct PostMessage: Decodable {
        let text: String?
        let attachments: [String]?
    }

    func register(on router: RouterGroup<TackRequestContext>) {
        router.post("rooms/{room}/messages", use: post)
        router.get("rooms/{room}/messages", use: list)
    }

    @Sendable func post(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let room = try await access.room(context.parameters.require("room"), visibleTo: user)
        let key = try IdempotencyKey.parse(request.headers[.idempotencyKey])
        if let key, let earlier = try await catalog.idempotentMessage(user: user.name, key: key) {
            // A retry whose first answer was lost: the first message, not a second copy.
            guard earlier.room == room.id else {
                throw TackError(.idempotencyKeyReused, "this Idempotency-Key was used for a message in another room; send a new key")
            }
            return JSONBody.response(writing: MessageJSON(earlier, reading: reading), status: .ok)
        }
        let body = try await JSONBody.decode(PostMessage.self, from: request, limit: limits.maxJSONBytes)
        let text = body.text ?? ""
        let rawIDs = body.attachments ?? []
        try limits.checkMessage(text)
        guard !text.isEmpty || !rawIDs.isEmpty else {
            throw TackError.invalid(.emptyMessage, "a message needs text, attachments or both")
        }
        guard rawIDs.count <= limits.maxAttachmentsPerMessage else {
            throw TackError.invalid(.tooManyAttachments, "a message carries at most \(limits.maxAttachmentsPerMessage) attachments")
        }
        let ids = try rawIDs.map { raw in
            guard let id = AttachmentID(validating: raw) else {
                throw TackError.invalid(.foreignAttachment, "attachment '\(raw)' is not in this room")
            }
            return id
        }
        let id = MessageID.make()
        // The key is recorded in the message's own transaction: of tries that race, one makes the message and
        // the others get it back.
        let message = try await catalog.insertMessage(
            id: id, room: room.id, author: user.name, text: text, attachments: ids, at: Date(), key: key)
        guard message.id == id else {
            guard message.room == room.id else {
                throw TackError(.idempotencyKeyReused, "this Idempotency-Key was used for a message in another room; send a new key")
            }
            return JSONBody.response(writing: MessageJSON(message, reading: reading), status: .ok)
        }
        return JSONBody.response(writing: MessageJSON(message, reading: reading), status: .created)
    }

    @Sendable func list(_ request: Request, context: TackRequestContext) async throws -> Response {
        let room = try await access.room(context.parameters.require("room"), visibleTo: context.requireUser())
        let (limit, cursor) = try Paging.parse(request, limits: limits)
        let page = try await catalog.messages(in: room.id, limit: limit, cursor: cursor)
        return JSONBody.response(writing: PageJSON(items: page.items.map { MessageJSON($0, reading: reading) }, next: page.next?.token))
    }
}

/// Reads `limit` and `cursor` from a listing request.
enum Paging {
    static func parse(_ request: Request, limits: Limits) throws -> (Int, PageCursor?) {
        let query = request.uri.queryParameters
        let limit = try limits.pageSize(requested: query["limit"].map(String.init))
        var cursor: PageCursor?
        if let raw = query["cursor"] {
            guard let parsed = PageCursor(token: String(raw)) else {
                throw TackError.invalid(.invalidCursor, "cursor must be a value from a previous page's 'next'")
            }
            cursor = parsed
        }
        return (limit, cursor)
    }
}
