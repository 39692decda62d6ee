import Logging
import TackStorage

/// Collects unreferenced blobs every `interval` while tackd serves, so deleted attachments give their space back
/// without an operator running `tackd gc`. The collector is safe alongside uploads (see `GarbageCollector`).
struct PeriodicCollection: Sendable {
    let collector: GarbageCollector
    /// Zero turns collection off.
    let interval: Duration
    let logger: Logger

    func run() async {
        guard interval > .zero else { return }
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            do {
                let report = try await collector.collect()
                if report.removed > 0 || report.sweptStaging > 0 {
                    logger.info("collected garbage", metadata: [
                        "removed": "\(report.removed)", "bytes": "\(report.removedBytes)", "staging": "\(report.sweptStaging)",
                    ])
                }
            } catch {
                logger.error("garbage collection failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
