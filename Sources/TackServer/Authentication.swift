import Hummingbird
import TackCore
import TackStorage

/// Resolves `Authorization: Bearer TOKEN` to a user; anything else is 401 before a route runs.
struct BearerAuthentication: RouterMiddleware {
    let catalog: any Catalog

    func handle(
        _ request: Request, context: TackRequestContext,
        next: (Request, TackRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw TackError.unauthenticated }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty,
              case let digest = Tokens.digest(String(parts[1])),
              let user = try await catalog.user(forTokenDigest: digest)
        else {
            throw TackError.unauthenticated
        }
        var context = context
        context.user = user
        context.tokenDigest = digest
        return try await next(request, context)
    }
}
