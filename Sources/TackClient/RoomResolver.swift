import TackCore

/// Finds the room a person meant: its id, its name (in any case), or the start of exactly one room's name, so
/// `--room "Project A"` and `--room proj` work as well as `--room room_01…`.
public enum RoomResolver {
    /// True for text shaped like a room's id; such text is sent as it is, without asking for the room list.
    public static func isID(_ text: String) -> Bool { RoomID(validating: text) != nil }

    public static func resolve(_ given: String, among rooms: [RoomSummary]) throws(ClientError) -> RoomSummary {
        if let byID = rooms.first(where: { $0.id == given }) { return byID }
        let wanted = given.lowercased()
        let named = rooms.filter { $0.name.lowercased() == wanted }
        if named.count == 1 { return named[0] }
        let candidates = named.isEmpty ? rooms.filter { $0.name.lowercased().hasPrefix(wanted) } : named
        switch candidates.count {
        case 1:
            return candidates[0]
        case 0:
            // As the server answers for a room one cannot see: it is not there, as far as this user is concerned.
            throw .refused(status: 404, code: "not_found",
                           message: "none of your rooms is named '\(given)' or has a name starting with it; tack rooms lists them")
        default:
            let listed = candidates.prefix(5).map { "'\($0.name)' (\($0.id))" }.joined(separator: ", ")
            throw .local("'\(given)' could be any of \(listed)\(candidates.count > 5 ? ", …" : ""); give more of the name or the id")
        }
    }
}
