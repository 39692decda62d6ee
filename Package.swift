// swift-tools-version:6.0
import PackageDescription

// The static Swift runtime links executables with --export-dynamic, which put tackd's 56,000 symbols in its dynamic
// table: each start then spent 2 ms in the loader looking them up and in the runtime's dladdr scanning them, for a
// binary nothing links against. tackd starts once per previewed file, tack once per screenshot.
let startUpFast: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "--no-export-dynamic"])]

let package = Package(
    name: "Tack",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tackd", targets: ["tackd"]),
        .executable(name: "tack", targets: ["tack"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-structured-headers.git", from: "1.7.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // The domain: pure Swift, no I/O.
        .target(
            name: "TackCore",
            dependencies: [
                .product(name: "RawStructuredFieldValues", package: "swift-http-structured-headers"),
            ]
        ),
        // An S3 client of the few operations blobs need: a SigV4 signer (pure) and requests over AsyncHTTPClient.
        .target(
            name: "TackS3",
            dependencies: [
                "TackCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Where bytes and metadata live: BlobStore and Catalog with their implementations (files or S3; SQLite or PostgreSQL).
        .target(
            name: "TackStorage",
            dependencies: [
                "TackCore",
                "TackS3",
                "CSQLiteShim",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Image codecs: libpng through a module map, libjpeg-turbo through a small C shim that keeps setjmp in C.
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .target(name: "CJPEGShim", linkerSettings: [.linkedLibrary("jpeg")]),
        // libpng's full write API (filters, zlib level and strategy) behind a C function, for the same setjmp reason.
        .target(name: "CPNGShim", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("z")]),
        // Decoding, orienting, resizing and encoding images; thumbnails.
        // Pixel loops are 20-50x slower unoptimised; tests thumbnail real photos and screenshots, so these two
        // modules are optimised in debug builds too.
        .target(name: "TackImage", dependencies: ["TackCore", "CPNG", "CJPEGShim", "CPNGShim"],
                swiftSettings: [.unsafeFlags(["-O"])]),
        // X11 (Xlib, XRandR, MIT-SHM, XFixes) through a module map; the Swift wrappers live at the edge.
        .systemLibrary(name: "CX11", pkgConfig: "x11",
                       providers: [.apt(["libx11-dev", "libxext-dev", "libxrandr-dev", "libxfixes-dev"])]),
        // libcurl is opened on first use (see the header for why); its headers come from libcurl4-openssl-dev.
        .target(name: "CCurlShim", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CSQLiteShim"),
        // Starting programs: posix_spawn that closes every descriptor but 0-2 in the child (Foundation's Process
        // leaks those another thread opens meanwhile) and clears the signal mask.
        .target(name: "CSpawnShim"),
        .target(name: "TackSpawn", dependencies: ["CSpawnShim"]),
        // Screen capture: geometry and monitor choice (pure), pixels from the X server.
        .target(name: "TackCapture", dependencies: ["CX11"], swiftSettings: [.unsafeFlags(["-O"])]),
        // The helper's client side: HTTP through libcurl, the offline outbox, progress and retries.
        .target(
            name: "TackClient",
            dependencies: ["CCurlShim", "TackCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "tack",
            dependencies: [
                "TackCapture", "TackClient", "TackImage", "TackCore", "TackSpawn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: startUpFast
        ),
        // External-storage links: provider rules and the address policy every outbound fetch obeys.
        .target(
            name: "TackLinks",
            dependencies: [
                "TackCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // What tackd's worker processes read out of files: text (office documents, PDFs, OCR) for search, and the
        // pictures (a PDF's first page, a video's frame) its thumbnails are made from.
        .target(
            name: "TackText",
            dependencies: ["TackCore", "TackSpawn", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        // The HTTP application.
        .target(
            name: "TackServer",
            dependencies: [
                "TackCore",
                "TackStorage",
                "TackText",
                "TackSpawn",
                "TackLinks",
                "TackImage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "tackd",
            dependencies: [
                "TackCore",
                "TackText",
                "TackStorage",
                "TackServer",
                "TackImage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: startUpFast
        ),
        .testTarget(name: "TackCoreTests", dependencies: ["TackCore"]),
        .testTarget(name: "TackSpawnTests", dependencies: ["TackSpawn", "TackTestSupport"]),
        .testTarget(name: "TackTextTests", dependencies: ["TackCore", "TackText", "TackTestSupport"]),
        .testTarget(name: "TackCaptureTests", dependencies: ["TackCapture", "CX11", "TackImage", "TackSpawn", "TackTestSupport"]),
        .testTarget(name: "TackClientTests", dependencies: ["TackClient", "TackCore", "TackTestSupport"]),
        // Fixtures are read where they lie (#filePath), never bundled.
        .testTarget(name: "TackImageTests", dependencies: ["TackCore", "TackImage", "TackSpawn", "TackTestSupport"], exclude: ["Fixtures"]),
        // Servers and data the test targets share: local HTTP servers, raw listeners, reproducible bytes.
        .target(
            name: "TackTestSupport",
            dependencies: ["CX11", "TackImage", "TackS3", "TackSpawn", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTLS", package: "hummingbird"),
                           .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/TackTestSupport",
            // Optimised like TackImage: its helpers make the tests' large bodies and pictures, and unoptimised they
            // held the cooperative pool's threads for seconds at a time.
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .testTarget(
            name: "TackLinksTests",
            dependencies: [
                "TackCore",
                "TackLinks",
                "TackTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TackS3Tests",
            dependencies: ["TackS3", "TackCore", "TackTestSupport", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "Hummingbird", package: "hummingbird")],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TackStorageTests",
            dependencies: [
                "TackCore",
                "TackTestSupport",
                "TackStorage",
                "TackS3",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                // Tests write rows the way another process would, behind the catalog's back.
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                // The TLS settings a PostgreSQL catalog's sslmode makes.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The server's pure parts (parsers, policies) tested in process; TackServerTests drive the real binaries.
        .testTarget(name: "TackServerUnitTests", dependencies: [
            "TackServer", "TackCore", "TackStorage", "TackTestSupport", .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .testTarget(
            name: "TackServerTests",
            dependencies: [
                "TackCore",
                "TackImage",
                "TackS3",
                "TackSpawn",
                "TackTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)
