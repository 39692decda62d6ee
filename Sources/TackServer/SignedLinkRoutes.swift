import Foundation
import Hummingbird
import TackCore
import TackStorage

/// `GET`/`HEAD /f/{id}`: an attachment (or `?thumbnail=SIZE`, its thumbnail) through a signed link, without a token.
///
/// A link that fails any check is the same 404, so one that was forged, altered, has expired, names a deleted
/// attachment or a member who has left the room tells its holder nothing about which. (Past the checks, a bad
/// `thumbnail` size is a 400 and an image that cannot be thumbnailed a 415, as on `/thumbnail`.)
struct SignedLinkRoutes: Sendable {
    let catalog: any Catalog
    let signer: LinkSigner
    let attachments: AttachmentRoutes

    func register(on router: Router<TackRequestContext>) {
        router.get("f/{id}", use: open)
        router.head("f/{id}", use: open)
    }

    @Sendable func open(_ request: Request, context: TackRequestContext) async throws -> Response {
        let raw = try context.parameters.require("id")
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        guard let (link, signature) = SignedLink.parse(attachment: raw, query: query),
              link.expires > Int64(Date().timeIntervalSince1970),
              try await signer.verify(link, signature: signature),
              let attachment = try await catalog.attachment(link.attachment),
              let room = try await catalog.room(attachment.room),
              AccessPolicy.canSee(room, as: link.creator),
              try await catalog.isActiveUser(link.creator)
        else {
            throw TackError.notFound("link to attachment '\(raw)'")
        }
        if let size = query["thumbnail"] {
            return try await attachments.thumbnailResponse(attachment, request, size: size, crossOrigin: true)
        }
        return attachments.contentResponse(attachment, request, inline: link.disposition == .inline, crossOrigin: true)
    }
}
