import TackCore

/// A search's statements for the PostgreSQL catalog, over `attachment_text` (seq = `attachments.seq`) and its GIN
/// index on `doc`, the documents `SearchDocument` writes.
typealias PostgresSearch = SearchStatements<PostgresSearchDialect>

/// PostgreSQL's spelling of a search: tsquery for the text, `lower()` for uploaders (the index on the room and
/// `lower(uploader)` serves it), ILIKE, and SUMs cast back to bigint (a SUM of bigint is numeric).
enum PostgresSearchDialect: SearchDialect {
    static func text(_ value: String) -> PostgresValue { .text(value) }
    static func integer(_ value: Int64) -> PostgresValue { .integer(value) }
    static func statement(_ sql: String, _ binds: [PostgresValue]) -> PostgresStatement { PostgresStatement(sql, binds) }

    static func textQuery(_ matches: [AttachmentFilter.TextMatch], joinedBy junction: Junction) -> String {
        SearchDocument.tsquery(matches, joinedBy: junction)
    }

    static let textRows = "SELECT seq FROM attachment_text WHERE doc @@ ?::tsquery"

    static func textLedPage(columns: String, rooms: String, conditions: String) -> String {
        // The GIN index gives no order: the planner either collects the matches and sorts them, or walks the
        // attachments newest first and checks each one's document, whichever it judges reads less.
        """
        SELECT \(columns) FROM attachment_text t JOIN attachments a ON a.seq = t.seq
        \(CatalogRows.attachmentFacts)
        WHERE t.doc @@ ?::tsquery AND a.room_id IN (\(rooms))\(conditions) AND a.seq < ?
        ORDER BY a.seq DESC LIMIT ?
        """
    }

    static let uploaderColumn = "lower(a.uploader)"
    static let uploaderValue = "lower(?)"
    static let like = "ILIKE"

    static func manyRooms(_ placeholders: String) -> String { "a.room_id IN (\(placeholders))" }

    static func mergedArm(_ select: String) -> String {
        // An arm with its own ORDER BY and LIMIT must be parenthesized; the union, as a table, must be named.
        "(\(select))"
    }

    static let mergedAlias = " AS merged"

    static func sum(_ expression: String) -> String { "SUM(\(expression))::bigint" }
}
