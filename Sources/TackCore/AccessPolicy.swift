/// Who may do what with rooms and attachments. Pure rules, so every decision is testable without a server.
public enum AccessPolicy {
    public static func canCreateRoom(_ user: User) -> Bool { user.role == .client }

    public static func canSee(_ room: Room, as user: String) -> Bool { room.members.contains(user) }

    public static func canManageMembers(of room: Room, as user: String) -> Bool { room.creator == user }

    public static func canDelete(_ attachment: Attachment, in room: Room, as user: String) -> Bool {
        canSee(room, as: user) && (attachment.uploader == user || room.creator == user)
    }
}
