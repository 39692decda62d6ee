import Metrics
import Prometheus

/// The metrics tackd keeps, through swift-metrics, and their Prometheus text exposition.
///
/// `bootstrap()` is called once by `tackd serve`; without it every metric is a no-op (tests, admin commands).
/// Hummingbird's `MetricsMiddleware` adds requests by route and status and their latency histograms.
public enum TackMetrics {
    /// The registry `/metrics` renders; swift-metrics writes into it once bootstrapped.
    public static let registry = PrometheusCollectorRegistry()

    public static func bootstrap() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// The Prometheus text format (version 0.0.4) of everything recorded so far.
    public static func exposition() -> [UInt8] { registry.emitToBuffer() }

    static let uploadsInFlight = Meter(label: "tack_uploads_in_flight")
    static let bytesReceived = Counter(label: "tack_upload_bytes_total")
    /// Bytes resumable (tus) PATCHes delivered and synced; a resumed upload counts only what it sent again.
    static let resumableBytesReceived = Counter(label: "tack_resumable_upload_bytes_total")
    static let bytesSent = Counter(label: "tack_download_bytes_total")
    static let thumbnailDuration = Timer(label: "tack_thumbnail_duration_seconds", preferredDisplayUnit: .seconds)
    static let gcRuns = Counter(label: "tack_gc_runs_total")
    static let gcRemovedBytes = Counter(label: "tack_gc_removed_bytes_total")
    static let blobCount = Gauge(label: "tack_blobs")
    static let catalogBytes = Gauge(label: "tack_catalog_bytes")

    /// Background jobs by kind and what happened to them: `queued`, `done`, `retried`, `failed`.
    static func job(_ kind: String, _ outcome: String) {
        Counter(label: "tack_jobs_total", dimensions: [("kind", kind), ("outcome", outcome)]).increment()
    }

    /// Link fetches by how they ended: `stored`, `unchanged`, or the refusal's code.
    static func linkFetch(_ outcome: String) {
        Counter(label: "tack_link_fetches_total", dimensions: [("outcome", outcome)]).increment()
    }
}
