import Hummingbird
import TackCore
import TackStorage

/// Resolves `Authorization: Bearer TOKEN`, or a signed-in browser's session cookie, to a user; anything else is 401
/// before a route runs. A cookie-authenticated request that changes something must come from tackd's own pages
/// (a same-origin `Origin`), or it is 403 `csrf`: another site cannot act with a member's cookie.
struct BearerAuthentication: RouterMiddleware {
    let catalog: any Catalog

    func handle(
        _ request: Request, context: TackRequestContext,
        next: (Request, TackRequestContext) async throws -> Response
    ) async throws -> Response {
        let token: String
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { throw TackError.unauthenticated }
            token = String(parts[1])
        } else if let cookie = BrowserSession.token(in: request) {
            guard BrowserSession.isSafe(request.method) || BrowserSession.isSameOrigin(request) else {
                throw TackError(.csrf, "a signed-in browser may only change things from tackd's own pages (the Origin header must be this server)")
            }
            token = cookie
        } else {
            throw TackError.unauthenticated
        }
        let digest = Tokens.digest(token)
        // Finding the user caught up with other instances' changes: the rest of the request need not ask again.
        let caughtUp = ContinuousClock.now
        guard let user = try await catalog.user(forTokenDigest: digest) else { throw TackError.unauthenticated }
        var context = context
        context.user = user
        context.tokenDigest = digest
        return try await CachingCatalog.withRequestCaughtUp(at: caughtUp) { try await next(request, context) }
    }
}
