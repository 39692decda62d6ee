import Foundation
import Hummingbird
import TackCore
import TackStorage

/// Searching attachments in the platform's syntax (`q=from:bob type:image "launch plan"`): in one room, across all
/// the caller's rooms, and counted by type for the gallery's tabs.
struct SearchRoutes: Sendable {
    let catalog: any Catalog
    let limits: Limits
    let reading: TextReading
    var access: RoomAccess { RoomAccess(catalog: catalog) }
    /// Bytes of files' text read for the snippets of one page of results; later results go without.
    static let snippetBudget = 4 << 20

    func register(on router: RouterGroup<TackRequestContext>) {
        router.get("attachments", use: searchEverywhere)
        router.get("rooms/{room}/attachments/summary", use: summary)
    }

    /// `GET /v1/attachments?q=…`: every room the caller is a member of.
    @Sendable func searchEverywhere(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        return try await search(request, scope: try await catalog.rooms(of: user.name))
    }

    /// `GET /v1/rooms/{room}/attachments?q=…`: one room (`AttachmentRoutes` sends requests with `q` here).
    func search(_ request: Request, in room: Room) async throws -> Response {
        try await search(request, scope: [room])
    }

    private func search(_ request: Request, scope: [Room]) async throws -> Response {
        let filter = try self.filter(request, scope: scope)
        let (limit, cursor) = try Paging.parse(request, limits: limits)
        let page = try await catalog.searchAttachments(filter, limit: limit, cursor: cursor)
        var items = page.items.map { AttachmentJSON($0, reading: reading) }
        if !filter.text.isEmpty {
            // One file's text at a time (at most max_extract_bytes), only for files whose text was read, and no more
            // than `snippetBudget` bytes of text a page: scanning runs at about 12 ms a MiB (ASCII) to 55 (accented),
            // so a page of fifty megabyte-long texts the search matched by name alone cannot take a second. The scan
            // runs on a Dispatch thread, off the few threads every request shares.
            var budget = Self.snippetBudget
            let matches = filter.text
            for (index, attachment) in page.items.enumerated() where (attachment.text?.characters ?? 0) > 0 && budget > 0 {
                guard let stored = try await catalog.text(of: attachment.sha256) else { continue }
                budget -= stored.text.utf8.count
                let snippet = await withCheckedContinuation { continuation in
                    DispatchQueue.global().async { continuation.resume(returning: TextSnippet.find(matches, in: stored.text)) }
                }
                items[index].snippet = snippet.map(AttachmentJSON.SnippetJSON.init)
            }
        }
        return JSONBody.response(writing: PageJSON(items: items, next: page.next?.token))
    }

    @Sendable func summary(_ request: Request, context: TackRequestContext) async throws -> Response {
        let room = try await access.room(context.parameters.require("room"), visibleTo: context.requireUser())
        let summary = try await catalog.summarizeAttachments(try filter(request, scope: [room]))
        return try JSONBody.response(SummaryJSON(summary))
    }

    /// The request's `q` and `tz` as a filter over `scope`; a query that cannot be read is 400 `bad_query` with the
    /// position of the problem.
    private func filter(_ request: Request, scope: [Room]) throws -> AttachmentFilter {
        let parameters = request.uri.queryParameters
        let text = parameters["q"].map(String.init) ?? ""
        guard text.utf8.count <= limits.maxQueryBytes else {
            throw TackError.invalid(.badQuery, "a search is at most \(limits.maxQueryBytes) bytes long")
        }
        let query: SearchQuery
        do {
            query = try SearchQuery.parse(text)
        } catch {
            var refusal = TackError.invalid(.badQuery, "\(error.message) (at character \(error.position))")
            refusal.position = error.position
            throw refusal
        }
        return AttachmentFilter(query, scope: scope, timeZone: try Self.timeZone(parameters["tz"].map(String.init)))
    }

    /// `tz=Europe/Berlin` (an IANA zone name), or UTC.
    static func timeZone(_ name: String?) throws -> TimeZone {
        guard let name, !name.isEmpty else { return TimeZone(identifier: "UTC")! }
        // Foundation also accepts abbreviations and offsets ("CEST", "GMT+2"); only IANA names are promised.
        guard name.contains("/") || name == "UTC", let zone = TimeZone(identifier: name) else {
            throw TackError.invalid(.invalidTimeZone, "tz must be a time zone name like Europe/Berlin or UTC, not '\(name)'")
        }
        return zone
    }
}

/// Counts and bytes by type, as `GET /v1/rooms/{room}/attachments/summary` answers.
struct SummaryJSON: Encodable {
    struct Tally: Encodable {
        let count: Int
        let bytes: Int64
    }

    let total: Tally
    let types: [String: Tally]

    init(_ summary: AttachmentCounts) {
        total = Tally(count: summary.total.count, bytes: summary.total.bytes)
        types = Dictionary(uniqueKeysWithValues: AttachmentType.allCases.map { type in
            let tally = summary.byType[type] ?? .init()
            return (type.rawValue, Tally(count: tally.count, bytes: tally.bytes))
        })
    }
}
