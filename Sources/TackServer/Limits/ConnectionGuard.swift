import NIOCore
import NIOHTTPTypes
import TackCore

/// Lets go of connections that hold tackd without using it, and lingers politely over refused bodies.
///
/// - A request head must be complete `headerTimeoutSeconds` after the connection opens or the previous answer
///   ends (a client dripping one header byte at a time otherwise holds a connection forever).
/// - A body must keep moving at `minBodyBytesPerSecond` over each `rateWindowSeconds` while tackd is asking for
///   it; time tackd spends not reading (busy, or pushing back) is not held against the client.
/// - When the answer is out before the body has ended (a refusal), the rest is read and dropped for at most
///   `lingerSeconds`, `lingerMaxBytes`, or `lingerIdleSeconds` without new bytes, as nginx's lingering close does:
///   a client that sends without `Expect: 100-continue` then reads the answer instead of a connection reset.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Request {
        case awaitingHead
        case receivingBody
        case complete
    }

    private let settings: ConnectionSettings
    private var request = Request.awaitingHead
    private var headTimer: Scheduled<Void>?
    private var rateTimer: Scheduled<Void>?
    private var lingerTimer: Scheduled<Void>?
    private var lingerIdleTimer: Scheduled<Void>?
    private var lingering = false
    private var lingerBytes: Int64 = 0
    /// Body bytes in the current rate window, and how long in it tackd was waiting for them.
    private var windowBytes: Int64 = 0
    private var starved: TimeAmount = .zero
    private var waitingSince: NIODeadline?

    init(settings: ConnectionSettings) { self.settings = settings }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armHeadTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armHeadTimer(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancelAll() }

    func channelInactive(context: ChannelHandlerContext) {
        cancelAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            headTimer?.cancel()
            request = .receivingBody
            startRateWindow(context)
        case .body(let buffer):
            noteArrival()
            windowBytes += Int64(buffer.readableBytes)
            if lingering {
                lingerBytes += Int64(buffer.readableBytes)
                if lingerBytes > settings.lingerMaxBytes {
                    context.close(promise: nil)
                    return
                }
                armLingerIdle(context)
            }
        case .end:
            noteArrival()
            request = .complete
            rateTimer?.cancel()
            if lingering {
                // The refused body ended within bounds; the answer is out, so the next request may come.
                stopLingering()
                request = .awaitingHead
                armHeadTimer(context)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            switch request {
            case .complete:
                request = .awaitingHead
                armHeadTimer(context)
            case .receivingBody:
                startLingering(context)
            case .awaitingHead:
                break
            }
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if waitingSince == nil { waitingSince = .now() }
        context.read()
    }

    // MARK: Timers

    private func armHeadTimer(_ context: ChannelHandlerContext) {
        headTimer?.cancel()
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(settings.headerTimeoutSeconds)) {
            context.close(promise: nil)
        }
    }

    private func startRateWindow(_ context: ChannelHandlerContext) {
        rateTimer?.cancel()
        guard settings.minBodyBytesPerSecond > 0 else { return }
        windowBytes = 0
        starved = .zero
        if waitingSince != nil { waitingSince = .now() }
        let window = TimeAmount.seconds(settings.rateWindowSeconds)
        rateTimer = context.eventLoop.assumeIsolated().scheduleTask(in: window) { [self] in
            if let since = waitingSince {
                starved = starved + (NIODeadline.now() - since)
                waitingSince = .now()
            }
            // Judge only the time tackd was asking for bytes: a body held back by tackd itself is not slow.
            let starvedSeconds = Double(starved.nanoseconds) / 1e9
            if starvedSeconds >= Double(settings.rateWindowSeconds) / 2,
               Double(windowBytes) < Double(settings.minBodyBytesPerSecond) * starvedSeconds {
                context.close(promise: nil)
            } else if case .receivingBody = request, !lingering {
                startRateWindow(context)
            }
        }
    }

    private func noteArrival() {
        if let since = waitingSince {
            starved = starved + (NIODeadline.now() - since)
            waitingSince = nil
        }
    }

    private func startLingering(_ context: ChannelHandlerContext) {
        lingering = true
        lingerBytes = 0
        rateTimer?.cancel()
        lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(settings.lingerSeconds)) {
            context.close(promise: nil)
        }
        armLingerIdle(context)
    }

    private func armLingerIdle(_ context: ChannelHandlerContext) {
        lingerIdleTimer?.cancel()
        lingerIdleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(settings.lingerIdleSeconds)) {
            context.close(promise: nil)
        }
    }

    private func stopLingering() {
        lingering = false
        lingerTimer?.cancel()
        lingerIdleTimer?.cancel()
    }

    private func cancelAll() {
        headTimer?.cancel()
        rateTimer?.cancel()
        stopLingering()
    }
}
