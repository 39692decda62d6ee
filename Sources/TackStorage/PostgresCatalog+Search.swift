import Foundation
import PostgresNIO
import TackCore

/// PostgresCatalog: search and counts by type (the statements are PostgresSearch's).
extension PostgresCatalog {
    public func searchAttachments(_ filter: AttachmentFilter, limit: Int, cursor: PageCursor?) async throws
        -> Page<Attachment>
    {
        guard let statement = PostgresSearch(filter).page(
            columns: CatalogRows.attachmentColumns, limit: limit + 1, before: cursor?.before ?? Int64.max)
        else { return Page(items: [], next: nil) }
        let rows = try await rows(statement).map { (seq: try $0.int64("seq"), attachment: try CatalogRows.attachment($0)) }
        return Self.page(rows, limit: limit)
    }

    public func summarizeAttachments(_ filter: AttachmentFilter) async throws -> AttachmentCounts {
        guard let statement = PostgresSearch(filter).summary() else { return AttachmentCounts() }
        return try AttachmentCounts(rows: await rows(statement))
    }
}

extension AttachmentCounts {
    /// The counts from rows of (media, screenshot, linked, count, bytes), as both catalogs' summaries read them.
    init(rows: [some CatalogColumns]) throws {
        self.init()
        for row in rows {
            let count = Int(try row.int64("count"))
            let bytes = try row.int64("bytes")
            total.add(count: count, bytes: bytes)
            byType[AttachmentType(rawValue: try row.text("media")) ?? .other, default: .init()].add(count: count, bytes: bytes)
            if try row.int64("linked") != 0 { byType[.link, default: .init()].add(count: count, bytes: bytes) }
            if try row.int64("screenshot") != 0 { byType[.screenshot, default: .init()].add(count: count, bytes: bytes) }
        }
    }
}
