import TackCore
import TackStorage

/// Finds rooms and attachments the caller may see; everything else is 404, so outsiders learn nothing.
struct RoomAccess: Sendable {
    let catalog: any Catalog

    func room(_ raw: String, visibleTo user: User) async throws -> Room {
        guard let id = RoomID(validating: raw), let room = try await catalog.room(id),
              AccessPolicy.canSee(room, as: user.name)
        else {
            throw TackError.notFound("room '\(raw)'")
        }
        return room
    }

    func attachment(_ raw: String, visibleTo user: User) async throws -> (Attachment, Room) {
        guard let id = AttachmentID(validating: raw), let attachment = try await catalog.attachment(id),
              let room = try await catalog.room(attachment.room), AccessPolicy.canSee(room, as: user.name)
        else {
            throw TackError.notFound("attachment '\(raw)'")
        }
        return (attachment, room)
    }
}
