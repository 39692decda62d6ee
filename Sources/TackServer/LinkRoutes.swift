import Foundation
import Hummingbird
import TackCore
import TackStorage

/// `/v1/rooms/{room}/links` and `/v1/attachments/{id}/refresh`: linked external files as attachments.
struct LinkRoutes: Sendable {
    let importer: LinkImporter
    let catalog: any Catalog
    let limits: Limits
    let followUps: FollowUps
    let rateLimits: RateLimits
    var access: RoomAccess { RoomAccess(catalog: catalog) }

    struct AddLink: Decodable {
        let url: String
        let message: String?
    }

    struct Refreshed: Encodable {
        let changed: Bool
        let attachment: AttachmentJSON
    }

    func register(on router: RouterGroup<TackRequestContext>) {
        router.post("rooms/{room}/links", use: add)
        router.post("attachments/{id}/refresh", use: refresh)
    }

    @Sendable func add(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let room = try await access.room(context.parameters.require("room"), visibleTo: user)
        try rateLimits.check(.link, for: user.name)
        let body = try await JSONBody.decode(AddLink.self, from: request, limit: limits.maxJSONBytes)
        try limits.checkMessage(body.message ?? "")
        let outcome: LinkImporter.Outcome
        do {
            outcome = try await importer.importLink(body.url, room: room.id, member: user.name)
        } catch {
            TackMetrics.linkFetch((error as? TackError)?.code ?? "failed")
            throw error
        }
        TackMetrics.linkFetch("stored")
        guard case .created(let attachment) = outcome else {
            throw TackError(.internal, "a new link was reported unchanged")
        }
        await followUps.prepare(attachment)
        if let text = body.message, !text.isEmpty {
            _ = try await catalog.insertMessage(id: .make(), room: room.id, author: user.name, text: text,
                                                attachments: [attachment.id], at: Date())
        }
        context.logger.info("stored linked file", metadata: [
            "attachment": "\(attachment.id)", "provider": "\(attachment.source?.provider ?? "")", "size": "\(attachment.size)",
        ])
        var response = JSONBody.response(writing: AttachmentJSON(attachment, reading: followUps.texts.reading), status: .created)
        response.headers[.location] = "/v1/attachments/\(attachment.id)"
        return response
    }

    @Sendable func refresh(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let (attachment, room) = try await access.attachment(context.parameters.require("id"), visibleTo: user)
        guard let source = attachment.source else {
            throw TackError.invalid(.notALink, "only linked files can be refreshed; this one was uploaded")
        }
        try rateLimits.check(.refresh, for: user.name)
        let latest = try await catalog.latestVersion(of: attachment.versionOf ?? attachment.id) ?? attachment
        switch try await importer.importLink(source.url, room: room.id, member: user.name, previous: latest) {
        case .created(let version):
            await followUps.prepare(version)
            return try JSONBody.response(Refreshed(changed: true, attachment: AttachmentJSON(version, reading: followUps.texts.reading)), status: .created)
        case .unchanged(let same):
            let current = try await catalog.attachment(same.id) ?? same
            return try JSONBody.response(Refreshed(changed: false, attachment: AttachmentJSON(current, reading: followUps.texts.reading)))
        }
    }
}
