import Foundation
import Hummingbird
import Logging
import TackCore
import TackStorage

/// Turns every error into `{"error": {"code", "message"}}` with the status its category calls for,
/// so clients never see an HTML page or an empty body.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = TackRequestContext

    func handle(
        _ request: Request, context: TackRequestContext,
        next: (Request, TackRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, to: request, context: context)
        }
    }

    /// The answer to a request that failed with `error`; internal failures are logged.
    static func response(for error: any Error, to request: Request, context: TackRequestContext) -> Response {
        let tackError = translate(error)
        if tackError.category == .internalFailure {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
        }
        var response = response(for: tackError)
        if mayHaveUnreadBody(request) {
            // The rest of a refused body is read and dropped within the bounds `ConnectionGuard` sets (a
            // lingering close), then the connection ends: the client reads this answer, not a reset.
            response.headers[.connection] = "close"
        }
        return response
    }

    static func mayHaveUnreadBody(_ request: Request) -> Bool {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }) { return length > 0 }
        return request.headers[.transferEncoding] != nil
    }

    static func translate(_ error: any Error) -> TackError {
        switch error {
        case let error as TackError:
            return error
        case BlobStoreError.tooLarge(let limit):
            return TackError(.tooLarge, "the file is larger than the limit of \(limit) bytes")
        case BlobStoreError.digestMismatch(let expected, let actual):
            return .invalid(.digestMismatch,
                            "the body's SHA-256 is \(actual.hex) but Content-Digest promised \(expected.hex); nothing was stored")
        case BlobStoreError.missing(let hash):
            return TackError(.blobMissing, "the stored bytes for \(hash.hex) are missing")
        case let error as HTTPError:
            return TackError(category(for: error.status), code: "http_\(error.status.code)",
                             error.body ?? error.status.reasonPhrase)
        default:
            return TackError(.internal, "tackd failed to handle the request; see its log")
        }
    }

    static func category(for status: HTTPResponse.Status) -> TackError.Category {
        switch status.code {
        case 401: .unauthenticated
        case 403: .forbidden
        case 404: .notFound
        case 409: .conflict
        case 413: .tooLarge
        case 415: .unsupportedMediaType
        case 416: .rangeNotSatisfiable
        case 412: .preconditionFailed
        case 460: .checksumMismatch
        case 429: .rateLimited
        case 400..<500: .invalidInput
        default: .internalFailure
        }
    }

    static func status(for category: TackError.Category) -> HTTPResponse.Status {
        switch category {
        case .invalidInput: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .rangeNotSatisfiable: .rangeNotSatisfiable
        case .preconditionFailed: .preconditionFailed
        case .checksumMismatch: .init(code: 460, reasonPhrase: "Checksum Mismatch")
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .upstreamFailure: .badGateway
        case .upstreamTimeout: .gatewayTimeout
        case .internalFailure: .internalServerError
        }
    }

    static func body(for error: TackError) -> ByteBuffer {
        struct Body: Encodable {
            struct Detail: Encodable { let code: String; let message: String; let position: Int? }
            let error: Detail
        }
        let detail = Body.Detail(code: error.code, message: error.message, position: error.position)
        let data = (try? JSONEncoder().encode(Body(error: detail))) ?? Data()
        return ByteBuffer(data: data)
    }

    static func response(for error: TackError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if error.category == .unauthenticated {
            headers[.wwwAuthenticate] = "Bearer realm=\"tack\""
        }
        if let seconds = error.retryAfterSeconds {
            headers[.retryAfter] = String(seconds)
        }
        return Response(status: status(for: error.category), headers: headers, body: .init(byteBuffer: body(for: error)))
    }
}
