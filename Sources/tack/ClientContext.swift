import Foundation
import Synchronization
import TackClient
import TackCore

/// What commands that talk to the server share: settings, the API, the outbox and progress reporting.
struct ClientContext {
    let paths = ClientConfig.Paths()
    var outbox: Outbox { Outbox(directory: paths.outboxDirectory) }

    func api(retries: Int) throws(Failure) -> TackAPI {
        let config: ClientConfig
        do { config = try ClientConfig.load(paths: paths) } catch { throw Failure(error) }
        var limits = TransferLimits()
        let environment = ProcessInfo.processInfo.environment
        if let rate = environment["TACK_MAX_SEND_RATE"].flatMap(Int64.init) { limits.maxSendBytesPerSecond = rate }
        if let seconds = environment["TACK_CONNECT_TIMEOUT"].flatMap(Int.init) { limits.connectTimeoutSeconds = seconds }
        var api = TackAPI(config: config, session: HTTPSession(limits: limits), retry: RetryPolicy(attempts: retries))
        api.log = { Console.log($0) }
        return api
    }

    func courier(retries: Int) throws(Failure) -> Courier {
        var courier = Courier(api: try api(retries: retries), outbox: outbox)
        if let raw = ProcessInfo.processInfo.environment["TACK_RESUMABLE_THRESHOLD"] {
            guard let bytes = ByteCount.parse(raw) else {
                throw Failure(ClientError.local("TACK_RESUMABLE_THRESHOLD is a size such as 8MiB, not '\(raw)'"))
            }
            courier.resumableThreshold = bytes
        }
        if Console.stderrIsTerminal {
            courier.progress = { item in ProgressReporter(label: item.name).update }
        }
        return courier
    }
}

/// Draws a progress line on stderr (a terminal), at most ten times a second, and ends it when the transfer ends.
final class ProgressReporter: Sendable {
    private let meter: ProgressMeter
    private let state = Mutex<(started: Date, lastDraw: Date?, finished: Bool)>((Date(), nil, false))

    init(label: String) { meter = ProgressMeter(label: label) }

    @Sendable func update(done: Int64, total: Int64) {
        let line: String? = state.withLock { state in
            let now = Date()
            guard !state.finished else { return nil }
            let complete = total > 0 && done >= total
            if !complete, let last = state.lastDraw, now.timeIntervalSince(last) < 0.1 { return nil }
            state.lastDraw = now
            state.finished = complete
            return meter.line(done: done, total: total, elapsedSeconds: now.timeIntervalSince(state.started))
                + (complete ? "\n" : "")
        }
        if let line { FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8)) }
    }
}

