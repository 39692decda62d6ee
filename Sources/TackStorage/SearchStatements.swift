import TackCore

/// Whether a text query asks for all of its matches or for any of them.
enum Junction: Sendable {
    case all
    case any
}

/// What differs between the catalogs' SQL engines in a search: how values are bound, how the text index is asked and
/// how a few conditions are spelled. `SearchStatements` writes everything else once, for both.
protocol SearchDialect {
    /// A value bound to a `?`.
    associatedtype Value
    /// A statement and its values, as the catalog runs it.
    associatedtype Statement

    static func text(_ value: String) -> Value
    static func integer(_ value: Int64) -> Value
    static func statement(_ sql: String, _ binds: [Value]) -> Statement

    /// The text index's query for all or any of `matches`, bound to the `?` of `textRows` or `textLedPage`.
    static func textQuery(_ matches: [AttachmentFilter.TextMatch], joinedBy junction: Junction) -> String
    /// A SELECT of the seq of every attachment whose name or texts match the query bound to its one `?`.
    static var textRows: String { get }
    /// A page of `columns` led by the text index, newest match first; its values are the query, the rooms (in the
    /// `rooms` placeholders), those of `conditions` (each written ` AND …`), `before` and the limit.
    static func textLedPage(columns: String, rooms: String, conditions: String) -> String

    /// The uploader, and a value put in `uploaderValue`, made comparable without case.
    static var uploaderColumn: String { get }
    static var uploaderValue: String { get }
    /// The engine's LIKE without regard to case.
    static var like: String { get }
    /// The rooms condition when more rooms than `mergedRoomLimit` are read in the table's own newest-first order.
    static func manyRooms(_ placeholders: String) -> String
    /// One room's page as an arm of `UNION ALL`, and what follows the union's parentheses to make it a table.
    static func mergedArm(_ select: String) -> String
    static var mergedAlias: String { get }
    /// A SUM that reads back as a 64-bit integer.
    static func sum(_ expression: String) -> String
}

/// An `AttachmentFilter` as statements over `attachments a` and its text index, with the values bound, in the shape
/// that reads least for the filter (measured on SQLite with `scripts/bench/browse`):
/// - with words or phrases, the text index leads, newest match first, and each match's row is checked: a page needs
///   only as many matches as it takes to fill it;
/// - otherwise one room is read newest first through an index on the room (and uploader or media kind);
/// - up to `mergedRoomLimit` rooms are each read that way, at most a page from each, and merged (the rooms' index
///   cannot give one newest-first order for several rooms, and sorting every row of them is what made a search
///   across 100 rooms take seconds);
/// - more rooms than that are read in the table's own newest-first order, each row's room looked up in the list.
///
/// Pure: the statements are checked by running them on a generated data set against `AttachmentFilter.matches`.
struct SearchStatements<Dialect: SearchDialect> {
    /// Conditions besides the rooms and the text that must match.
    private(set) var conditions: [String] = []
    private(set) var binds: [Dialect.Value] = []
    let rooms: [RoomID]
    /// The text index's query that words and phrases must match, when there are any.
    let match: String?
    /// True when the filter asks for nothing but its rooms.
    var isRoomsOnly: Bool { conditions.isEmpty && match == nil }

    static var mergedRoomLimit: Int { 32 }

    init(_ filter: AttachmentFilter) {
        rooms = filter.rooms
        match = filter.text.isEmpty ? nil : Dialect.textQuery(filter.text, joinedBy: .all)
        if !filter.uploaders.isEmpty { addUploaders(filter.uploaders, negated: false) }
        if !filter.excludedUploaders.isEmpty { addUploaders(filter.excludedUploaders, negated: true) }
        if !filter.types.isEmpty { addTypes(filter.types, negated: false) }
        if !filter.excludedTypes.isEmpty { addTypes(filter.excludedTypes, negated: true) }
        if !filter.extensions.isEmpty {
            add("a.ext IN (\(Self.placeholders(filter.extensions.count)))", filter.extensions.map(Dialect.text))
        }
        if !filter.excludedExtensions.isEmpty {
            add("a.ext NOT IN (\(Self.placeholders(filter.excludedExtensions.count)))", filter.excludedExtensions.map(Dialect.text))
        }
        for part in filter.nameParts {
            add("a.name \(Dialect.like) ? ESCAPE '\\'", [Dialect.text("%" + Self.likeEscaped(part) + "%")])
        }
        for part in filter.excludedNameParts {
            add("a.name NOT \(Dialect.like) ? ESCAPE '\\'", [Dialect.text("%" + Self.likeEscaped(part) + "%")])
        }
        if let from = filter.createdFrom { add("a.created_at >= ?", [Dialect.integer(from)]) }
        if let before = filter.createdBefore { add("a.created_at < ?", [Dialect.integer(before)]) }
        if let larger = filter.largerThan { add("a.size > ?", [Dialect.integer(larger)]) }
        if let smaller = filter.smallerThan { add("a.size < ?", [Dialect.integer(smaller)]) }
        if !filter.excludedText.isEmpty {
            // One subquery for all of them, whatever their number: a row goes if it has any.
            add("a.seq NOT IN (\(Dialect.textRows))", [Dialect.text(Dialect.textQuery(filter.excludedText, joinedBy: .any))])
        }
    }

    /// One page, newest first, strictly older than `before`; `columns` name `a.seq` as `seq`. Nil when the filter
    /// has no rooms (nothing to read).
    func page(columns: String, limit: Int, before: Int64) -> Dialect.Statement? {
        guard !rooms.isEmpty else { return nil }
        let from = "attachments a \(CatalogRows.attachmentFacts)"
        let extra = conditions.map { " AND " + $0 }.joined()
        let roomList = Self.placeholders(rooms.count)
        let roomBinds = rooms.map { Dialect.text($0.rawValue) }
        let pageBinds = [Dialect.integer(before), Dialect.integer(Int64(limit))]
        if let match {
            return Dialect.statement(Dialect.textLedPage(columns: columns, rooms: roomList, conditions: extra),
                                     [Dialect.text(match)] + roomBinds + binds + pageBinds)
        }
        if rooms.count == 1 || rooms.count > Self.mergedRoomLimit {
            let room = rooms.count == 1 ? "a.room_id = ?" : Dialect.manyRooms(roomList)
            return Dialect.statement(
                "SELECT \(columns) FROM \(from) WHERE \(room)\(extra) AND a.seq < ? ORDER BY a.seq DESC LIMIT ?",
                roomBinds + binds + pageBinds)
        }
        let perRoom = Dialect.mergedArm(
            "SELECT \(columns) FROM \(from) WHERE a.room_id = ?\(extra) AND a.seq < ? ORDER BY a.seq DESC LIMIT ?")
        var values: [Dialect.Value] = []
        for room in roomBinds { values += [room] + binds + pageBinds }
        let union = Array(repeating: perRoom, count: rooms.count).joined(separator: " UNION ALL ")
        return Dialect.statement("SELECT * FROM (\(union))\(Dialect.mergedAlias) ORDER BY seq DESC LIMIT ?",
                                 values + [Dialect.integer(Int64(limit))])
    }

    /// Counts and bytes by (media kind, screenshot, linked). A filter of rooms alone reads the counts kept per room;
    /// anything else counts the matching rows. Nil when the filter has no rooms.
    func summary() -> Dialect.Statement? {
        guard !rooms.isEmpty else { return nil }
        let roomBinds = rooms.map { Dialect.text($0.rawValue) }
        if isRoomsOnly {
            return Dialect.statement("""
                SELECT media, screenshot, linked, \(Dialect.sum("count")) AS count, \(Dialect.sum("bytes")) AS bytes FROM room_type_counts
                WHERE room_id IN (\(Self.placeholders(rooms.count))) GROUP BY 1, 2, 3
                """, roomBinds)
        }
        let text = match == nil ? "" : " AND a.seq IN (\(Dialect.textRows))"
        return Dialect.statement("""
            SELECT a.media, a.screenshot, a.linked, COUNT(*) AS count, \(Dialect.sum("a.size")) AS bytes
            FROM attachments a WHERE a.room_id IN (\(Self.placeholders(rooms.count)))\(text)\(conditions.map { " AND " + $0 }.joined())
            GROUP BY 1, 2, 3
            """, roomBinds + (match.map { [Dialect.text($0)] } ?? []) + binds)
    }

    private mutating func add(_ condition: String, _ values: [Dialect.Value]) {
        conditions.append(condition)
        binds.append(contentsOf: values)
    }

    private mutating func addUploaders(_ uploaders: [String], negated: Bool) {
        let values = Array(repeating: Dialect.uploaderValue, count: uploaders.count).joined(separator: ", ")
        add("\(Dialect.uploaderColumn) \(negated ? "NOT IN" : "IN") (\(values))", uploaders.map(Dialect.text))
    }

    private mutating func addTypes(_ types: [AttachmentType], negated: Bool) {
        var alternatives: [String] = []
        var values: [Dialect.Value] = []
        let media = types.filter(AttachmentType.mediaKinds.contains)
        if !media.isEmpty {
            alternatives.append("a.media IN (\(Self.placeholders(media.count)))")
            values += media.map { Dialect.text($0.rawValue) }
        }
        if types.contains(.link) { alternatives.append("a.linked = 1") }
        if types.contains(.screenshot) { alternatives.append("a.screenshot = 1") }
        let either = "(" + alternatives.joined(separator: " OR ") + ")"
        add(negated ? "NOT " + either : either, values)
    }

    private static func placeholders(_ count: Int) -> String {
        // Never called with 0: `IN ()` is valid SQLite but not PostgreSQL (no rooms means no statement at all).
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// `text` with LIKE's wildcards and the escape character escaped by `\`, for `LIKE … ESCAPE '\'`.
    static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
