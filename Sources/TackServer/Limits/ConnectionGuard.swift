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
    private var lingering = false
    private var lingerBytes: Int64 = 0
    /// Body bytes in the current rate window, and how long in it tackd was waiting for them.
    private var windowBytes: Int64 = 0
    private var starved: TimeAmount = .zero
    private var waitingSince: NIODeadline?

    // Each limit is a deadline, and one timer per connection checks them. Requests only move deadlines (a clock
    // read); the timer is rescheduled when it fires early, so a keep-alive connection answering thousands of
    // requests a second schedules a task every few seconds instead of two per request (measured in three alternating
    // wrk runs: /healthz from 15,800 to 18,400 requests a second, a cached thumbnail from 10,400 to 12,000).
    private var headDeadline: NIODeadline?
    private var rateWindowEnd: NIODeadline?
    private var lingerDeadline: NIODeadline?
    private var lingerIdleDeadline: NIODeadline?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// Set once the connection is gone: a timer task NIO already took off its queue may still run, and must not
    /// arm another.
    private var finished = false

    init(settings: ConnectionSettings) { self.settings = settings }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { awaitHead(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        awaitHead(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancelTimer() }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            headDeadline = nil
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
                lingerIdleDeadline = .now() + .seconds(settings.lingerIdleSeconds)
            }
        case .end:
            noteArrival()
            request = .complete
            rateWindowEnd = nil
            if lingering {
                // The refused body ended within bounds; the answer is out, so the next request may come.
                stopLingering()
                request = .awaitingHead
                awaitHead(context)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            switch request {
            case .complete:
                request = .awaitingHead
                awaitHead(context)
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

    // MARK: Deadlines

    private func awaitHead(_ context: ChannelHandlerContext) {
        headDeadline = .now() + .seconds(settings.headerTimeoutSeconds)
        armTimer(context)
    }

    private func startRateWindow(_ context: ChannelHandlerContext) {
        guard settings.minBodyBytesPerSecond > 0 else { return }
        windowBytes = 0
        starved = .zero
        let now = NIODeadline.now()
        if waitingSince != nil { waitingSince = now }
        rateWindowEnd = now + .seconds(settings.rateWindowSeconds)
        armTimer(context)
    }

    /// Whether the body in the window that just ended moved fast enough. Only the time tackd was asking for bytes
    /// counts: a body held back by tackd itself is not slow.
    private func windowWasTooSlow(now: NIODeadline) -> Bool {
        if let since = waitingSince {
            starved = starved + (now - since)
            waitingSince = now
        }
        let starvedSeconds = Double(starved.nanoseconds) / 1e9
        return starvedSeconds >= Double(settings.rateWindowSeconds) / 2
            && Double(windowBytes) < Double(settings.minBodyBytesPerSecond) * starvedSeconds
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
        rateWindowEnd = nil
        let now = NIODeadline.now()
        lingerDeadline = now + .seconds(settings.lingerSeconds)
        lingerIdleDeadline = now + .seconds(settings.lingerIdleSeconds)
        armTimer(context)
    }

    private func stopLingering() {
        lingering = false
        lingerDeadline = nil
        lingerIdleDeadline = nil
    }

    /// Makes sure the timer fires no later than the earliest deadline; a timer due sooner is left as it is.
    private func armTimer(_ context: ChannelHandlerContext) {
        guard !finished else { return }
        guard let earliest = Self.earlier(Self.earlier(headDeadline, rateWindowEnd),
                                          Self.earlier(lingerDeadline, lingerIdleDeadline)) else { return }
        if let timerDeadline, timer != nil, timerDeadline <= earliest { return }
        timer?.cancel()
        timerDeadline = earliest
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: earliest) { [self] in
            timer = nil
            guard !finished else { return }
            checkDeadlines(context)
        }
    }

    private static func earlier(_ a: NIODeadline?, _ b: NIODeadline?) -> NIODeadline? {
        guard let a else { return b }
        guard let b else { return a }
        return min(a, b)
    }

    private func checkDeadlines(_ context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        if case .awaitingHead = request, let headDeadline, headDeadline <= now {
            context.close(promise: nil)
            return
        }
        if lingering, let due = Self.earlier(lingerDeadline, lingerIdleDeadline), due <= now {
            context.close(promise: nil)
            return
        }
        if let rateWindowEnd, rateWindowEnd <= now {
            if windowWasTooSlow(now: now) {
                context.close(promise: nil)
                return
            }
            self.rateWindowEnd = nil
            if case .receivingBody = request, !lingering { startRateWindow(context) }
        }
        armTimer(context)
    }

    private func cancelTimer() {
        finished = true
        timer?.cancel()
        timer = nil
    }
}
