import SQLiteNIO
import TackCore

/// An `AttachmentFilter` as SQLite statements over `attachments a` and its text index, with the values bound, in the
/// shape that reads least for the filter (measured with `scripts/bench/browse`):
/// - with words or phrases, the text index leads, newest match first, and each match's row is checked: a page needs
///   only as many matches as it takes to fill it;
/// - otherwise one room is read newest first through an index on the room (and uploader or media kind);
/// - up to `mergedRoomLimit` rooms are each read that way, at most a page from each, and merged (the rooms' index
///   cannot give one newest-first order for several rooms, and sorting every row of them is what made a search
///   across 100 rooms take seconds);
/// - more rooms than that are read in the table's own newest-first order, each row's room looked up in the list.
///
/// Pure: the statements are checked by running them on a generated data set against `AttachmentFilter.matches`.
struct SQLiteSearch {
    /// Conditions besides the rooms and the text that must match.
    private(set) var conditions: [String] = []
    private(set) var binds: [SQLiteData] = []
    let rooms: [RoomID]
    /// The FTS5 expression that words and phrases must match, when there are any.
    let match: String?
    /// True when the filter asks for nothing but its rooms.
    var isRoomsOnly: Bool { conditions.isEmpty && match == nil }

    static let mergedRoomLimit = 32

    init(_ filter: AttachmentFilter) {
        rooms = filter.rooms
        match = filter.text.isEmpty ? nil : Self.matchExpression(filter.text)
        if !filter.uploaders.isEmpty {
            add("a.uploader COLLATE NOCASE IN (\(Self.placeholders(filter.uploaders.count)))", filter.uploaders.map(SQLiteData.text))
        }
        if !filter.excludedUploaders.isEmpty {
            add("a.uploader COLLATE NOCASE NOT IN (\(Self.placeholders(filter.excludedUploaders.count)))",
                filter.excludedUploaders.map(SQLiteData.text))
        }
        if !filter.types.isEmpty { addTypes(filter.types, negated: false) }
        if !filter.excludedTypes.isEmpty { addTypes(filter.excludedTypes, negated: true) }
        if !filter.extensions.isEmpty {
            add("a.ext IN (\(Self.placeholders(filter.extensions.count)))", filter.extensions.map(SQLiteData.text))
        }
        if !filter.excludedExtensions.isEmpty {
            add("a.ext NOT IN (\(Self.placeholders(filter.excludedExtensions.count)))", filter.excludedExtensions.map(SQLiteData.text))
        }
        for part in filter.nameParts { add("a.name LIKE ? ESCAPE '\\'", [.text("%" + Self.likeEscaped(part) + "%")]) }
        for part in filter.excludedNameParts {
            add("a.name NOT LIKE ? ESCAPE '\\'", [.text("%" + Self.likeEscaped(part) + "%")])
        }
        if let from = filter.createdFrom { add("a.created_at >= ?", [.integer(Int(from))]) }
        if let before = filter.createdBefore { add("a.created_at < ?", [.integer(Int(before))]) }
        if let larger = filter.largerThan { add("a.size > ?", [.integer(Int(larger))]) }
        if let smaller = filter.smallerThan { add("a.size < ?", [.integer(Int(smaller))]) }
        if !filter.excludedText.isEmpty {
            // One subquery for all of them, whatever their number: a row goes if it has any.
            add("a.seq NOT IN (SELECT rowid FROM attachment_text WHERE attachment_text MATCH ?)",
                [.text(Self.matchExpression(filter.excludedText, joinedBy: " OR "))])
        }
    }

    /// One page, newest first, strictly older than `before`; `columns` name `a.seq` as `seq`. Nil when the filter
    /// has no rooms (nothing to read).
    func page(columns: String, limit: Int, before: Int64) -> (sql: String, binds: [SQLiteData])? {
        guard !rooms.isEmpty else { return nil }
        let from = "attachments a \(SQLiteCatalog.attachmentFacts)"
        let extra = conditions.map { " AND " + $0 }.joined()
        let roomList = Self.placeholders(rooms.count)
        let roomBinds = rooms.map { SQLiteData.text($0.rawValue) }
        if let match {
            // CROSS JOIN keeps the text index outside, where its newest-first order serves the ORDER BY.
            return ("""
                SELECT \(columns) FROM attachment_text t CROSS JOIN attachments a ON a.seq = t.rowid
                \(SQLiteCatalog.attachmentFacts)
                WHERE attachment_text MATCH ? AND a.room_id IN (\(roomList))\(extra) AND t.rowid < ?
                ORDER BY t.rowid DESC LIMIT ?
                """, [.text(match)] + roomBinds + binds + [.integer(Int(before)), .integer(limit)])
        }
        if rooms.count == 1 || rooms.count > Self.mergedRoomLimit {
            // `+` keeps SQLite off the room index for many rooms: the table's own order is already newest first.
            let room = rooms.count == 1 ? "a.room_id = ?" : "+a.room_id IN (\(roomList))"
            return ("SELECT \(columns) FROM \(from) WHERE \(room)\(extra) AND a.seq < ? ORDER BY a.seq DESC LIMIT ?",
                    roomBinds + binds + [.integer(Int(before)), .integer(limit)])
        }
        let perRoom = "SELECT * FROM (SELECT \(columns) FROM \(from) WHERE a.room_id = ?\(extra) AND a.seq < ? ORDER BY a.seq DESC LIMIT ?)"
        var values: [SQLiteData] = []
        for room in roomBinds { values += [room] + binds + [.integer(Int(before)), .integer(limit)] }
        let union = Array(repeating: perRoom, count: rooms.count).joined(separator: " UNION ALL ")
        return ("SELECT * FROM (\(union)) ORDER BY seq DESC LIMIT ?", values + [.integer(limit)])
    }

    /// Counts and bytes by (media kind, screenshot, linked). A filter of rooms alone reads the counts kept per room;
    /// anything else counts the matching rows. Nil when the filter has no rooms.
    func summary() -> (sql: String, binds: [SQLiteData])? {
        guard !rooms.isEmpty else { return nil }
        let roomBinds = rooms.map { SQLiteData.text($0.rawValue) }
        if isRoomsOnly {
            return ("""
                SELECT media, screenshot, linked, SUM(count) AS count, SUM(bytes) AS bytes FROM room_type_counts
                WHERE room_id IN (\(Self.placeholders(rooms.count))) GROUP BY 1, 2, 3
                """, roomBinds)
        }
        let text = match == nil ? "" : " AND a.seq IN (SELECT rowid FROM attachment_text WHERE attachment_text MATCH ?)"
        return ("""
            SELECT a.media, a.screenshot, a.linked, COUNT(*) AS count, SUM(a.size) AS bytes
            FROM attachments a WHERE a.room_id IN (\(Self.placeholders(rooms.count)))\(text)\(conditions.map { " AND " + $0 }.joined())
            GROUP BY 1, 2, 3
            """, roomBinds + (match.map { [SQLiteData.text($0)] } ?? []) + binds)
    }

    private mutating func add(_ condition: String, _ values: [SQLiteData]) {
        conditions.append(condition)
        binds.append(contentsOf: values)
    }

    private mutating func addTypes(_ types: [AttachmentType], negated: Bool) {
        var alternatives: [String] = []
        var values: [SQLiteData] = []
        let media = types.filter(AttachmentType.mediaKinds.contains)
        if !media.isEmpty {
            alternatives.append("a.media IN (\(Self.placeholders(media.count)))")
            values += media.map { .text($0.rawValue) }
        }
        if types.contains(.link) { alternatives.append("a.linked = 1") }
        if types.contains(.screenshot) { alternatives.append("a.screenshot = 1") }
        let either = "(" + alternatives.joined(separator: " OR ") + ")"
        add(negated ? "NOT " + either : either, values)
    }

    private static func placeholders(_ count: Int) -> String {
        // `IN ()` is valid SQLite and matches nothing: a search over no rooms finds nothing.
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// An FTS5 query of the matches joined by AND (all of them) or OR (any of them), each quoted so nothing typed
    /// is FTS5 syntax.
    static func matchExpression(_ matches: [AttachmentFilter.TextMatch], joinedBy separator: String = " AND ") -> String {
        matches.map { match in
            switch match {
            case .word(let word): quoted(word)
            case .prefix(let start): quoted(start) + "*"
            case .phrase(let phrase): quoted(phrase)
            }
        }.joined(separator: separator)
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
