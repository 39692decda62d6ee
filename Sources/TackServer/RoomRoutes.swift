import Foundation
import Hummingbird
import TackCore
import TackStorage

/// `/v1/rooms`: creating rooms, listing the caller's, managing members.
struct RoomRoutes: Sendable {
    let catalog: any Catalog
    let limits: Limits
    var access: RoomAccess { RoomAccess(catalog: catalog) }

    struct CreateRoom: Decodable {
        let name: String
        let members: [String]?
    }

    struct AddMember: Decodable {
        let user: String
    }

    /// `PATCH /v1/rooms/{room}`: `retentionDays` is required, and null (follow the server) differs from absent.
    struct ChangeRoom: Decodable {
        let retentionDays: Int?

        enum CodingKeys: String, CodingKey { case retentionDays }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            guard container.contains(.retentionDays) else {
                throw TackError.invalid(.invalidRetention, "send {\"retentionDays\": DAYS}, or null to follow the server's retention_days")
            }
            retentionDays = try container.decodeIfPresent(Int.self, forKey: .retentionDays)
        }
    }

    func register(on router: RouterGroup<TackRequestContext>) {
        router.post("rooms", use: create)
        router.get("rooms", use: list)
        router.get("rooms/{room}", use: show)
        router.patch("rooms/{room}", use: change)
        router.post("rooms/{room}/members", use: addMember)
        router.delete("rooms/{room}/members/{user}", use: removeMember)
    }

    @Sendable func create(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        guard AccessPolicy.canCreateRoom(user) else {
            throw TackError(.clientsOnly, "only clients create rooms; '\(user.name)' is a \(user.role.rawValue)")
        }
        let body = try await JSONBody.decode(CreateRoom.self, from: request, limit: limits.maxJSONBytes)
        let name = body.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.utf8.count <= limits.maxRoomNameBytes,
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw TackError.invalid(.invalidRoomName, "a room name is 1 to \(limits.maxRoomNameBytes) bytes without control characters")
        }
        let room = Room(id: .make(), name: name, creator: user.name,
                        members: Array(Set((body.members ?? []) + [user.name])).sorted(), createdAt: Date())
        try await catalog.createRoom(room)
        return JSONBody.response(writing: RoomJSON(room), status: .created)
    }

    @Sendable func list(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        return JSONBody.response(writing: PageJSON(items: try await catalog.rooms(of: user.name).map(RoomJSON.init), next: nil))
    }

    @Sendable func show(_ request: Request, context: TackRequestContext) async throws -> Response {
        let room = try await access.room(context.parameters.require("room"), visibleTo: context.requireUser())
        return JSONBody.response(writing: RoomJSON(room))
    }

    /// The room's creator sets how long it keeps attachments.
    @Sendable func change(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let room = try await managedRoom(context, user: user)
        let body = try await JSONBody.decode(ChangeRoom.self, from: request, limit: limits.maxJSONBytes)
        if let days = body.retentionDays, !(0...36_500).contains(days) {
            throw TackError.invalid(.invalidRetention, "retentionDays is 0 (keep everything) to 36500, or null to follow the server")
        }
        try await catalog.setRetention(of: room.id, days: body.retentionDays)
        return try await JSONBody.response(writing: RoomJSON(catalog.room(room.id) ?? room))
    }

    @Sendable func addMember(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let room = try await managedRoom(context, user: user)
        let body = try await JSONBody.decode(AddMember.self, from: request, limit: limits.maxJSONBytes)
        try await catalog.addMember(body.user, to: room.id)
        return try await JSONBody.response(writing: RoomJSON(catalog.room(room.id) ?? room))
    }

    @Sendable func removeMember(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let room = try await managedRoom(context, user: user)
        let member = try context.parameters.require("user")
        guard member != room.creator else {
            throw TackError.invalid(.cannotRemoveCreator, "the room's creator cannot be removed from it")
        }
        guard try await catalog.removeMember(member, from: room.id) else {
            throw TackError.notFound("member '\(member)'")
        }
        return try await JSONBody.response(writing: RoomJSON(catalog.room(room.id) ?? room))
    }

    private func managedRoom(_ context: TackRequestContext, user: User) async throws -> Room {
        let room = try await access.room(context.parameters.require("room"), visibleTo: user)
        guard AccessPolicy.canManageMembers(of: room, as: user.name) else {
            throw TackError(.notRoomCreator, "only the room's creator, \(room.creator), manages its members")
        }
        return room
    }
}
