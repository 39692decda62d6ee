import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue`, which Hummingbird does not do on its own.
///
/// curl and libcurl send the header with every body over 1 MiB and then wait a second for the answer before
/// sending anything; answering at once removes that stall from every large upload. A body declared larger than
/// the upload limit gets no 100, so the client never starts sending what will be refused.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    let maxBodyBytes: Int64

    init(maxBodyBytes: Int64) { self.maxBodyBytes = maxBodyBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let request) = unwrapInboundIn(data), Self.shouldContinue(request, maxBodyBytes: maxBodyBytes) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }

    static func shouldContinue(_ request: HTTPRequest, maxBodyBytes: Int64) -> Bool {
        guard request.headerFields[.expect]?.lowercased() == "100-continue" else { return false }
        // Without credentials the answer will be 401: let the client learn that before it sends the body.
        guard request.headerFields[.authorization] != nil else { return false }
        if let length = request.headerFields[.contentLength].flatMap({ Int64($0) }), length > maxBodyBytes { return false }
        return true
    }
}
