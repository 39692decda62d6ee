import SQLiteNIO
import TackCore

/// A search's statements for the SQLite catalog, over FTS5's `attachment_text` (rowid = `attachments.seq`).
typealias SQLiteSearch = SearchStatements<SQLiteSearchDialect>

/// SQLite's spelling of a search: FTS5 for the text, NOCASE for uploaders, LIKE (already without case).
enum SQLiteSearchDialect: SearchDialect {
    typealias Statement = (sql: String, binds: [SQLiteData])

    static func text(_ value: String) -> SQLiteData { .text(value) }
    static func integer(_ value: Int64) -> SQLiteData { .integer(Int(value)) }
    static func statement(_ sql: String, _ binds: [SQLiteData]) -> Statement { (sql, binds) }

    /// An FTS5 query of the matches joined by AND (all of them) or OR (any of them), each quoted so nothing typed
    /// is FTS5 syntax.
    static func textQuery(_ matches: [AttachmentFilter.TextMatch], joinedBy junction: Junction) -> String {
        matches.map { match in
            switch match {
            case .word(let word): quoted(word)
            case .prefix(let start): quoted(start) + "*"
            case .phrase(let phrase): quoted(phrase)
            }
        }.joined(separator: junction == .all ? " AND " : " OR ")
    }

    static let textRows = "SELECT rowid FROM attachment_text WHERE attachment_text MATCH ?"

    static func textLedPage(columns: String, rooms: String, conditions: String) -> String {
        // CROSS JOIN keeps the text index outside, where its newest-first order serves the ORDER BY.
        """
        SELECT \(columns) FROM attachment_text t CROSS JOIN attachments a ON a.seq = t.rowid
        \(CatalogRows.attachmentFacts)
        WHERE attachment_text MATCH ? AND a.room_id IN (\(rooms))\(conditions) AND t.rowid < ?
        ORDER BY t.rowid DESC LIMIT ?
        """
    }

    static let uploaderColumn = "a.uploader COLLATE NOCASE"
    static let uploaderValue = "?"
    static let like = "LIKE"

    static func manyRooms(_ placeholders: String) -> String {
        // `+` keeps SQLite off the room index for many rooms: the table's own order is already newest first.
        "+a.room_id IN (\(placeholders))"
    }

    static func mergedArm(_ select: String) -> String {
        // SQLite allows ORDER BY and LIMIT only on a whole compound SELECT, so each arm is a subquery.
        "SELECT * FROM (\(select))"
    }

    static let mergedAlias = ""

    static func sum(_ expression: String) -> String { "SUM(\(expression))" }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
