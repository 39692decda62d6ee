import Logging
import ServiceLifecycle

/// Housekeeping that runs beside the server: once at start (finishing what a crash left), then every `interval`,
/// until the server shuts down. `work` answers what it did worth a log line, or nil.
struct PeriodicWork: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let work: @Sendable () async throws -> Logger.Metadata?

    func run() async throws {
        let (name, interval, logger, work) = (name, interval, logger, work)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if let metadata = try await work() { logger.info("\(name)", metadata: metadata) }
                } catch {
                    logger.warning("\(name) failed: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
