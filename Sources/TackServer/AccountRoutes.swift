import Hummingbird
import TackCore
import TackStorage

/// `/v1/me`: who the caller is, and how much of their quota they use.
struct AccountRoutes: Sendable {
    let uploads: UploadPipeline

    struct Me: Encodable {
        let name: String
        let role: String
        let usedBytes: Int64
        let quotaBytes: Int64
    }

    func register(on router: RouterGroup<TackRequestContext>) {
        router.get("me", use: me)
    }

    @Sendable func me(_ request: Request, context: TackRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let (quota, used) = try await uploads.quota(of: user.name)
        return try JSONBody.response(Me(name: user.name, role: user.role.rawValue, usedBytes: used, quotaBytes: quota))
    }
}
