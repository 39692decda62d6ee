import Hummingbird
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
        let router = Router(context: TackRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.get("healthz") { _, _ in "ok" }
        let v1 = router.group("v1").add(middleware: BearerAuthentication(catalog: catalog))
        RoomRoutes(catalog: catalog, limits: settings.limits).register(on: v1)
        let thumbnails = ThumbnailService(
            blobs: blobs, catalog: catalog, thumbnailer: Thumbnailer(limits: ImageLimits(maxPixels: settings.maxImagePixels)),
            sizes: settings.thumbnailSizes)
        AttachmentRoutes(catalog: catalog, blobs: blobs, limits: settings.limits, thumbnails: thumbnails,
                         stripMetadata: settings.stripMetadata).register(on: v1)
        MessageRoutes(catalog: catalog, limits: settings.limits).register(on: v1)
        let importer = LinkImporter(
            rules: ProviderRules(settings: settings.links), fetcher: try GuardedFetcher(settings: settings.links),
            blobs: blobs, catalog: catalog, maxNameBytes: settings.limits.maxNameBytes, stripMetadata: settings.stripMetadata)
        LinkRoutes(importer: importer, catalog: catalog, limits: settings.limits, thumbnails: thumbnails).register(on: v1)
        let maxBody = settings.limits.maxUploadBytes
        return Application(
            router: router,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [ExpectContinueHandler(maxBodyBytes: maxBody)],
                // A client that sends nothing for this long (mid-upload or between requests) is let go.
                idleTimeout: .seconds(settings.idleTimeoutSeconds))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "tackd"),
            onServerRunning: { channel in
                let address = channel.localAddress
                await onReady(address?.ipAddress ?? settings.host, address?.port ?? settings.port)
            },
            logger: logger)
    }
}
