import Foundation
import Logging
import NIOCore
import SQLiteKit
import Synchronization
import TackCore

/// SQLiteCatalog: search and counts by type (the statements are SQLiteSearch's).
extension SQLiteCatalog {
    public func searchAttachments(_ filter: AttachmentFilter, limit: Int, cursor: PageCursor?) async throws
        -> Page<Attachment>
    {
        guard let (sql, binds) = SQLiteSearch(filter).page(
            columns: CatalogRows.attachmentColumns, limit: limit + 1, before: cursor?.before ?? Int64.max)
        else { return Page(items: [], next: nil) }
        let rows = try await readRows(sql, binds).map { row in
            let columns = SQLiteColumns(row)
            return (seq: try columns.int64("seq"), attachment: try CatalogRows.attachment(columns))
        }
        let kept = rows.prefix(limit)
        let next = rows.count > limit ? kept.last.map { PageCursor(before: $0.seq) } : nil
        return Page(items: kept.map(\.attachment), next: next)
    }

    public func summarizeAttachments(_ filter: AttachmentFilter) async throws -> AttachmentCounts {
        guard let (sql, binds) = SQLiteSearch(filter).summary() else { return AttachmentCounts() }
        return try AttachmentCounts(rows: await readRows(sql, binds).map(SQLiteColumns.init))
    }
}
