import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import TackCore
import TackImage
import TackLinks
import TackStorage

/// Assembles tackd's HTTP application from its parts.
public enum TackApplication {
    public static func make(
        settings: Settings, catalog: any Catalog, blobs: any BlobStore, logger: Logger,
        onReady: @escaping @Sendable (String, Int) async -> Void = { _, _ in }
    ) throws -> some ApplicationProtocol {
        let maxBody = settings.limits.maxUploadBytes
        let thumbnails = makeThumbnailService(settings: settings, catalog: catalog, blobs: blobs)
        let followUps = makeFollowUps(settings: settings, catalog: catalog, blobs: blobs, thumbnails: thumbnails)
        // Background jobs run beside the server and stop with it, handing back what they hold.
        let jobs = JobRunner(
            catalog: catalog, thumbnails: thumbnails, texts: followUps.texts,
            lease: .seconds(settings.jobLeaseSeconds), backoff: RetryBackoff(attempts: settings.jobAttempts), logger: logger)
        let resumable = try makeResumableUploads(settings: settings, catalog: catalog, blobs: blobs, followUps: followUps)
        let sweeper = PeriodicWork(
            name: "swept resumable uploads", interval: .seconds(max(1, min(60, settings.uploadExpirySeconds / 2))),
            logger: logger
        ) {
            let report = try await resumable.sweep(at: Date())
            return report == ResumableUploads.SweepReport() ? nil
                : ["expired": "\(report.expired)", "completed": "\(report.completed)", "orphans": "\(report.orphans)",
                   "failures": "\(report.failures)"]
        }
        let retention = RetentionSweep(catalog: catalog, defaultDays: Int(settings.retentionDays))
        let retaining = PeriodicWork(name: "removed attachments past their room's retention", interval: .seconds(3600),
                                     logger: logger) {
            let removed = try await retention.run(at: Date())
            return removed.isEmpty ? nil : ["attachments": "\(removed.count)"]
        }
        let router = try makeRouter(settings: settings, catalog: catalog, blobs: blobs, followUps: followUps,
                                    resumable: resumable)
        return Application(
            responder: MethodOverride(base: router.buildResponder()),
            server: .http1(configuration: .init(
                additionalChannelHandlers: [
                    ConnectionGuard(settings: settings.connections), ExpectContinueHandler(maxBodyBytes: maxBody),
                ],
                // A client that sends nothing for this long (mid-upload or between requests) is let go.
                idleTimeout: .seconds(settings.idleTimeoutSeconds))),
            configuration: .init(
                address: .hostname(settings.host, port: settings.port), serverName: "tackd",
                // Past this many connections tackd stops accepting until some close; the rest wait in the backlog.
                availableConnectionsDelegate: MaximumAvailableConnections(settings.connections.maxConnections)),
            services: [jobs, sweeper, retaining],
            onServerRunning: { channel in
                let address = channel.localAddress
                await onReady(address?.ipAddress ?? settings.host, address?.port ?? settings.port)
            },
            logger: logger)
    }

    /// Every route tackd answers, with its middleware; `OpenAPITests` compares them with the API description.
    public static func makeRouter(
        settings: Settings, catalog: any Catalog, blobs: any BlobStore
    ) throws -> Router<TackRequestContext> {
        let followUps = makeFollowUps(settings: settings, catalog: catalog, blobs: blobs,
                                      thumbnails: makeThumbnailService(settings: settings, catalog: catalog, blobs: blobs))
        return try makeRouter(
            settings: settings, catalog: catalog, blobs: blobs, followUps: followUps,
            resumable: makeResumableUploads(settings: settings, catalog: catalog, blobs: blobs, followUps: followUps))
    }

    static func makeUploadPipeline(settings: Settings, catalog: any Catalog, blobs: any BlobStore) -> UploadPipeline {
        UploadPipeline(
            ingest: AttachmentIngest(blobs: blobs, catalog: catalog), catalog: catalog,
            stripMetadata: settings.stripMetadata, defaultQuota: settings.userQuotaBytes)
    }

    static func makeResumableUploads(
        settings: Settings, catalog: any Catalog, blobs: any BlobStore, followUps: FollowUps
    ) throws -> ResumableUploads {
        // The bytes of uploads under way stay on this instance's disk whatever the blob store: see the README.
        ResumableUploads(
            catalog: catalog, parts: UploadParts(root: "\(settings.storage)/uploads"),
            pipeline: makeUploadPipeline(settings: settings, catalog: catalog, blobs: blobs), followUps: followUps,
            limits: settings.limits, lifetime: Double(settings.uploadExpirySeconds))
    }

    static func makeThumbnailService(settings: Settings, catalog: any Catalog, blobs: any BlobStore) -> ThumbnailService {
        ThumbnailService(
            blobs: blobs, catalog: catalog, thumbnailer: Thumbnailer(limits: ImageLimits(maxPixels: settings.maxImagePixels)),
            previews: PreviewWorker(process: worker(settings), maxPixels: settings.maxImagePixels, threads: settings.previewThreads), sizes: settings.thumbnailSizes, maxQueued: settings.thumbnailQueue,
            measuresText: settings.textReading.ocr)
    }

    /// The worker process that reads files' text and renders PDF pages: this very executable (`tackd text`,
    /// `tackd preview`), under the operator's `extract_*` limits.
    static func worker(_ settings: Settings) -> WorkerProcess {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return WorkerProcess(executable: executable, maxMemoryBytes: Int(settings.extractMemoryBytes),
                             maxSeconds: Int(settings.extractSeconds), leaseSeconds: Int(settings.jobLeaseSeconds))
    }

    static func makeFollowUps(settings: Settings, catalog: any Catalog, blobs: any BlobStore, thumbnails: ThumbnailService) -> FollowUps {
        FollowUps(thumbnails: thumbnails, texts: TextService(
            blobs: blobs, catalog: catalog, maxBytes: settings.maxExtractBytes, maxQueued: settings.textQueue,
            jobs: thumbnails.jobs, worker: TextWorker(process: worker(settings), languages: settings.ocrLanguages),
            reading: settings.textReading))
    }

    static func makeRouter(
        settings: Settings, catalog: any Catalog, blobs: any BlobStore, followUps: FollowUps,
        resumable: ResumableUploads
    ) throws -> Router<TackRequestContext> {
        let thumbnails = followUps.thumbnails
        let router = Router(context: TackRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        router.get("healthz") { _, _ in "ok" }
        router.get("readyz") { _, _ in
            // Ready when both stores answer: a load balancer sends nothing here until they do.
            _ = try await catalog.usage(of: "")
            _ = try await blobs.size(of: ContentHash(bytes: [UInt8](repeating: 0, count: 32))!)
            return "ready"
        }
        if settings.metrics == .api {
            router.get("metrics") { _, _ in Self.metricsResponse() }
        }
        router.get("v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        GalleryRoutes(catalog: catalog, maxFormBytes: settings.limits.maxJSONBytes).register(on: router)
        let v1 = router.group("v1").add(middleware: BearerAuthentication(catalog: catalog))
        RoomRoutes(catalog: catalog, limits: settings.limits).register(on: v1)
        let uploads = makeUploadPipeline(settings: settings, catalog: catalog, blobs: blobs)
        let rateLimits = RateLimits(settings: settings.rateLimits)
        let signer = LinkSigner(catalog: catalog)
        let attachments = AttachmentRoutes(
            catalog: catalog, blobs: blobs, blobCache: BlobCache(capacityBytes: settings.blobCacheBytes),
            pages: PageCache(capacityBytes: settings.pageCacheBytes, changes: catalog.changes),
            limits: settings.limits, thumbnails: thumbnails, followUps: followUps, uploads: uploads, rateLimits: rateLimits,
            signer: signer, maxLinkSeconds: settings.signedLinkMaxSeconds)
        attachments.register(on: v1)
        // Outside /v1's authentication: the link itself is the credential.
        SignedLinkRoutes(catalog: catalog, signer: signer, attachments: attachments).register(on: router)
        let resumableRoutes = ResumableUploadRoutes(
            uploads: resumable, catalog: catalog, limits: settings.limits, rateLimits: rateLimits)
        resumableRoutes.register(on: v1)
        resumableRoutes.registerDiscovery(on: router)
        MessageRoutes(catalog: catalog, limits: settings.limits, reading: settings.textReading).register(on: v1)
        SearchRoutes(catalog: catalog, limits: settings.limits, reading: settings.textReading).register(on: v1)
        EventRoutes(catalog: catalog, heartbeat: .seconds(settings.eventHeartbeatSeconds), reading: settings.textReading)
            .register(on: v1)
        AccountRoutes(uploads: uploads).register(on: v1)
        let importer = LinkImporter(
            rules: ProviderRules(settings: settings.links), fetcher: try GuardedFetcher(settings: settings.links),
            uploads: uploads, catalog: catalog, maxNameBytes: settings.limits.maxNameBytes,
            fetching: settings.links.fetching)
        LinkRoutes(importer: importer, catalog: catalog, limits: settings.limits, followUps: followUps,
                   rateLimits: rateLimits).register(on: v1)
        return router
    }

    /// A listener of its own for `/metrics` (`metrics = HOST:PORT`), so the API's address need not expose them.
    public static func makeMetricsApplication(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("metrics") { _, _ in Self.metricsResponse() }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
    }

    static func metricsResponse() -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: TackMetrics.exposition())))
    }
}
