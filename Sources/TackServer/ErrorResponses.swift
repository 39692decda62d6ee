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
            let tackError = Self.translate(error)
            if tackError.category == .internalFailure {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            var response = Self.response(for: tackError)
            // A refused upload may still be sending: closing tells the client to stop rather than letting it
            // push the rest of the body into a connection that has already answered.
            if request.method == .post || request.method == .put {
                response.headers[.connection] = "close"
            }
            return response
        }
    }

    static func translate(_ error: any Error) -> TackError {
        switch error {
        case let error as TackError:
            return error
        case BlobStoreError.tooLarge(let limit):
            return TackError(.tooLarge, code: "too_large", "the file is larger than the limit of \(limit) bytes")
        case BlobStoreError.digestMismatch(let expected, let actual):
            return .invalid("digest_mismatch",
                            "the body's SHA-256 is \(actual.hex) but Content-Digest promised \(expected.hex); nothing was stored")
        case BlobStoreError.missing(let hash):
            return TackError(.internalFailure, code: "blob_missing", "the stored bytes for \(hash.hex) are missing")
        case let error as HTTPError:
            return TackError(category(for: error.status), code: "http_\(error.status.code)",
                             error.body ?? error.status.reasonPhrase)
        default:
            return TackError(.internalFailure, code: "internal", "tackd failed to handle the request; see its log")
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
        case .unavailable: .serviceUnavailable
        case .internalFailure: .internalServerError
        }
    }

    static func response(for error: TackError) -> Response {
        struct Body: Encodable {
            struct Detail: Encodable { let code: String; let message: String }
            let error: Detail
        }
        let data = (try? JSONEncoder().encode(Body(error: .init(code: error.code, message: error.message)))) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        if error.category == .unauthenticated {
            headers[.wwwAuthenticate] = "Bearer realm=\"tack\""
        }
        return Response(status: status(for: error.category), headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
