import Logging
import TackStorage

/// Collects unreferenced blobs every `interval` while tackd serves, so deleted attachments give their space back
/// without an operator running `tackd gc`. The collector is safe alongside uploads (see `GarbageCollector`).
public struct PeriodicCollection: Sendable {
    let collector: GarbageCollector
    /// Zero turns collection off.
    let interval: Duration
    let logger: Logger
    /// The catalog's size on disk, for the metrics.
    let catalogBytes: @Sendable () -> Int64?

    public init(collector: GarbageCollector, interval: Duration, logger: Logger, catalogBytes: @escaping @Sendable () -> Int64?) {
        self.collector = collector
        self.interval = interval
        self.logger = logger
        self.catalogBytes = catalogBytes
    }

    public func run() async {
        // The sizes are known from the start, not only after the first collection.
        if let count = try? await collector.blobs.allHashes().count { TackMetrics.blobCount.record(count) }
        if let bytes = catalogBytes() { TackMetrics.catalogBytes.record(bytes) }
        guard interval > .zero else { return }
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            do {
                let report = try await collector.collect()
                TackMetrics.gcRuns.increment()
                TackMetrics.gcRemovedBytes.increment(by: report.removedBytes)
                TackMetrics.blobCount.record(report.examined - report.removed)
                if let bytes = catalogBytes() { TackMetrics.catalogBytes.record(bytes) }
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
