import SQLiteNIO
import TackCore

/// An `AttachmentFilter` as SQLite conditions over `attachments a` and its text index, with the values bound.
///
/// Pure: tested by running it against a generated data set and comparing with `AttachmentFilter.matches`.
struct SQLiteSearch {
    private(set) var conditions: [String] = []
    private(set) var binds: [SQLiteData] = []

    init(_ filter: AttachmentFilter) {
        add("a.room_id IN (\(placeholders(filter.rooms.count)))", filter.rooms.map { .text($0.rawValue) })
        if !filter.uploaders.isEmpty {
            add("a.uploader COLLATE NOCASE IN (\(placeholders(filter.uploaders.count)))", filter.uploaders.map(SQLiteData.text))
        }
        if !filter.excludedUploaders.isEmpty {
            add("a.uploader COLLATE NOCASE NOT IN (\(placeholders(filter.excludedUploaders.count)))",
                filter.excludedUploaders.map(SQLiteData.text))
        }
        if !filter.types.isEmpty { addTypes(filter.types, negated: false) }
        if !filter.excludedTypes.isEmpty { addTypes(filter.excludedTypes, negated: true) }
        if !filter.extensions.isEmpty {
            add("a.ext IN (\(placeholders(filter.extensions.count)))", filter.extensions.map(SQLiteData.text))
        }
        if !filter.excludedExtensions.isEmpty {
            add("a.ext NOT IN (\(placeholders(filter.excludedExtensions.count)))", filter.excludedExtensions.map(SQLiteData.text))
        }
        for part in filter.nameParts { add("a.name LIKE ? ESCAPE '\\'", [.text("%" + Self.likeEscaped(part) + "%")]) }
        for part in filter.excludedNameParts {
            add("a.name NOT LIKE ? ESCAPE '\\'", [.text("%" + Self.likeEscaped(part) + "%")])
        }
        if let from = filter.createdFrom { add("a.created_at >= ?", [.integer(Int(from))]) }
        if let before = filter.createdBefore { add("a.created_at < ?", [.integer(Int(before))]) }
        if let larger = filter.largerThan { add("a.size > ?", [.integer(Int(larger))]) }
        if let smaller = filter.smallerThan { add("a.size < ?", [.integer(Int(smaller))]) }
        if !filter.text.isEmpty {
            add("a.seq IN (SELECT rowid FROM attachment_text WHERE attachment_text MATCH ?)",
                [.text(Self.matchExpression(filter.text))])
        }
        for excluded in filter.excludedText {
            add("a.seq NOT IN (SELECT rowid FROM attachment_text WHERE attachment_text MATCH ?)",
                [.text(Self.matchExpression([excluded]))])
        }
    }

    var whereClause: String { conditions.joined(separator: " AND ") }

    private mutating func add(_ condition: String, _ values: [SQLiteData]) {
        conditions.append(condition)
        binds.append(contentsOf: values)
    }

    private mutating func addTypes(_ types: [AttachmentType], negated: Bool) {
        var alternatives: [String] = []
        var values: [SQLiteData] = []
        let media = types.filter(AttachmentType.mediaKinds.contains)
        if !media.isEmpty {
            alternatives.append("a.media IN (\(placeholders(media.count)))")
            values += media.map { .text($0.rawValue) }
        }
        if types.contains(.link) { alternatives.append("a.source_url IS NOT NULL") }
        if types.contains(.screenshot) { alternatives.append("a.screenshot = 1") }
        let either = "(" + alternatives.joined(separator: " OR ") + ")"
        add(negated ? "NOT " + either : either, values)
    }

    private func placeholders(_ count: Int) -> String {
        // `IN ()` is valid SQLite and matches nothing: a search over no rooms finds nothing.
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// An FTS5 query that every match must satisfy: each word or phrase quoted (so nothing typed is FTS5 syntax),
    /// a word matching words that start with it.
    static func matchExpression(_ matches: [AttachmentFilter.TextMatch]) -> String {
        matches.map { match in
            switch match {
            case .word(let word): quoted(word) + "*"
            case .phrase(let phrase): quoted(phrase)
            }
        }.joined(separator: " AND ")
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
