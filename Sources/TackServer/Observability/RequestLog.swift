import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// One log line per request (method, route, status, duration, request id) and the id returned as
/// `X-Request-Id`, so a person reporting a problem can name the exact request. Headers are never logged: they
/// carry tokens and cookies.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = TackRequestContext

    func handle(
        _ request: Request, context: TackRequestContext,
        next: (Request, TackRequestContext) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let id = context.id
        var response = try await next(request, context)
        response.headers[.xRequestID] = id
        // Below `info` the line would be dropped anyway: keep the answer's body as it is, unwrapped.
        guard context.logger.logLevel <= .info else { return response }
        let status = response.status.code
        let route = context.endpointPath ?? request.uri.path
        let method = request.method.rawValue
        let logger = context.logger
        // Logged once the body is out, so a download's line says how long the whole transfer took.
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            try await body.write(writer)
            let elapsed = ContinuousClock.now - started
            logger.info("request", metadata: [
                "method": "\(method)", "route": "\(route)", "status": "\(status)",
                "ms": "\(Int((elapsed.seconds * 1000).rounded()))",
            ])
        }
        return response
    }
}

extension HTTPField.Name {
    static let xRequestID = HTTPField.Name("X-Request-Id")!
}
