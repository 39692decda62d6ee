import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TackCore
import TackImage
import TackServer
import TackStorage
import TackText

@main
enum TackdMain {
    static func main() async {
        // tackd starts `tackd preview` once per PDF, video or recording it thumbnails: the service's own arguments
        // are read without ArgumentParser (see PreviewRequest), anything else goes to it, to be read or explained.
        let arguments = CommandLine.arguments
        if arguments.count > 1, arguments[1] == "preview", let request = PreviewRequest(workerArguments: Array(arguments[2...])) {
            exit(request.perform())
        }
        await Tackd.main()
    }
}

struct Tackd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tackd",
        abstract: "Tack's attachment service: rooms, content-addressed attachments, thumbnails and links.",
        subcommands: [Serve.self, UserCommand.self, TokenCommand.self, KeysCommand.self, CollectGarbage.self, ListJobs.self, Retention.self,
                      MigrateStorage.self, MakeThumbnail.self, ReadText.self, RenderPreview.self],
        defaultSubcommand: Serve.self)
}

/// Options every command shares, so admin commands reach the same data as the running server.
struct StorageOptions: ParsableArguments {
    @Option(help: "Data folder (blobs and the SQLite catalog). Env: TACK_STORAGE. Default: storage")
    var storage: String?

    @Option(help: "JSON config file. Env: TACK_CONFIG. Default: <storage>/tackd.json when it exists")
    var config: String?

    @Option(help: ArgumentHelp(
        "Where the catalog lives: sqlite:PATH or postgres://USER@HOST:PORT/DATABASE[?sslmode=MODE&sslrootcert=PEM] (modes as libpq: disable, prefer, require, verify-ca, verify-full). "
            + "Env: TACK_CATALOG. Default: <storage>/tack.sqlite. Password: in the URL or TACK_POSTGRES_PASSWORD.",
        valueName: "location"))
    var catalog: String?

    @Option(help: ArgumentHelp(
        "Where blobs live: file:PATH or s3://BUCKET?endpoint=URL&region=R&style=path|virtual-host&prefix=P. "
            + "Env: TACK_BLOBS. Default: <storage>/blobs. S3 keys: TACK_S3_ACCESS_KEY_ID, TACK_S3_SECRET_ACCESS_KEY.",
        valueName: "location"))
    var blobs: String?

    func settings(flags: [String: String] = [:]) throws -> Settings {
        var flags = flags
        if let storage { flags["storage"] = storage }
        if let blobs { flags["blobs"] = blobs }
        if let catalog { flags["catalog"] = catalog }
        let environment = ProcessInfo.processInfo.environment
        let storageGuess = storage ?? environment["TACK_STORAGE"].flatMap { $0.isEmpty ? nil : $0 } ?? "storage"
        let explicit = config ?? environment["TACK_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        let path = explicit ?? "\(storageGuess)/tackd.json"
        var file: [String: String] = [:]
        if FileManager.default.fileExists(atPath: path) {
            file = try ConfigFile.read(path)
        } else if let explicit {
            throw TackError.invalid(.invalidSetting, "config file \(explicit) does not exist")
        }
        return try Settings.resolve(flags: flags, environment: environment, file: file)
    }
}

/// The catalog where `--catalog` says (by default `<storage>/tack.sqlite`), and the blobs where `--blobs` says (by
/// default `<storage>/blobs`), opened only by the commands that touch blobs: a user or token command works while a
/// bucket is unreachable.
struct Storage {
    let settings: Settings
    let location: CatalogLocation
    let catalog: any OpenedCatalog

    static func open(_ settings: Settings) async throws -> Storage {
        // Only tackd's own user reads the catalog (token digests, who is in which room) and the blobs.
        umask(0o077)
        try FileManager.default.createDirectory(
            atPath: settings.storage, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let location = try CatalogLocation.parse(settings.catalog, storage: settings.storage,
                                                 password: settings.postgresPassword?.value)
        return Storage(settings: settings, location: location, catalog: try await location.open())
    }

    /// Opens the blob store at `location` (by default the configured one) and marks it as this catalog's.
    func blobs(at location: BlobStoreLocation? = nil) async throws -> any BlobStore {
        let location = try location ?? BlobStoreLocation.parse(settings.blobs, storage: settings.storage)
        let blobs = try await location.open(settings: settings)
        let catalogID = try await catalog.catalogID()
        do {
            try await blobs.claim(forCatalog: catalogID)
        } catch BlobStoreError.ownedByAnotherCatalog(let other) {
            throw TackError.invalid(.invalidSetting, "\(location.displayName) holds the blobs of another catalog (\(other), "
                + "this one is \(catalogID)): each catalog's garbage collection would delete the other's files. Give "
                + "each catalog a bucket or prefix of its own; instances that share blobs share one catalog")
        }
        return blobs
    }
}

extension Storage {
    /// Opens the storage for one admin command and closes the catalog however the command ends.
    static func using<T>(_ settings: Settings, _ body: (Storage) async throws -> T) async throws -> T {
        let storage = try await open(settings)
        do {
            let result = try await body(storage)
            await storage.catalog.close()
            return result
        } catch {
            await storage.catalog.close()
            throw error
        }
    }

    static func fileSize(_ path: String) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
    }
}

enum ConfigFile {
    static func read(_ path: String) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TackError.invalid(.invalidSetting, "config file \(path) is not a JSON object")
        }
        return object.mapValues { "\($0)" }
    }
}

/// Runs a command body and turns any failure into one plain line on stderr and exit status 1.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as TackError {
        FileHandle.standardError.write(Data("tackd: \(error.message)\n".utf8))
        throw ExitCode.failure
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("tackd: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the HTTP API.")

    @OptionGroup var options: StorageOptions
    @Option(help: "Address to listen on. Env: TACK_HOST. Default: 127.0.0.1") var host: String?
    @Option(help: "Port to listen on (0 picks a free one). Env: TACK_PORT. Default: 8080") var port: Int?
    @Option(help: "Largest upload, e.g. 100MiB. Env: TACK_MAX_UPLOAD_BYTES") var maxUploadBytes: String?
    @Option(help: "Longest attachment name in bytes. Env: TACK_MAX_NAME_BYTES. Default: 255") var maxNameBytes: Int?
    @Option(help: "Most items per page. Env: TACK_MAX_PAGE_SIZE. Default: 200") var maxPageSize: Int?
    @Option(help: "text or json (one object per line). Env: TACK_LOG_FORMAT. Default: text") var logFormat: String?
    @Option(help: "Where /metrics is served: on, off or HOST:PORT. Env: TACK_METRICS. Default: on") var metrics: String?

    func run() async throws {
        try await reportingFailures {
            var flags: [String: String] = [:]
            flags["host"] = host
            flags["port"] = port.map(String.init)
            flags["max_upload_bytes"] = maxUploadBytes
            flags["max_name_bytes"] = maxNameBytes.map(String.init)
            flags["max_page_size"] = maxPageSize.map(String.init)
            flags["log_format"] = logFormat
            flags["metrics"] = metrics
            let settings = try options.settings(flags: flags)
            let level = ProcessInfo.processInfo.environment["TACK_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
            LoggingSystem.bootstrap { label in
                var handler: any LogHandler = settings.logFormat == .json
                    ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            if settings.metrics != .off { TackMetrics.bootstrap() }
            let logger = Logger(label: "tackd")
            let storage = try await Storage.open(settings)
            let blobs = try await storage.blobs()
            let swept = try await blobs.sweepStaging(olderThan: nil)
            if swept > 0 { logger.notice("removed \(swept) staging leftovers of crashed uploads") }
            // Requests read through the caches; the admin commands write the file directly, and their changes reach
            // the caches through the changes table within a poll.
            let catalog = CachingCatalog(storage.catalog, entries: settings.catalogCacheEntries)
            let app = try TackApplication.make(
                settings: settings, catalog: catalog, blobs: blobs, logger: logger
            ) { host, port in
                // Written straight to the descriptor: scripts and tests wait for this line, so it must not sit in a buffer.
                FileHandle.standardOutput.write(Data("tackd listening on http://\(host):\(port)\n".utf8))
            }
            // The file's size on one machine; a PostgreSQL database's size is its server's to report.
            let catalogPath: String? = if case .sqlite(let path) = storage.location { path } else { nil }
            let collector = PeriodicCollection(
                collector: GarbageCollector(blobs: blobs, catalog: storage.catalog),
                interval: .seconds(settings.gcIntervalSeconds), logger: logger,
                catalogBytes: { catalogPath.map { path in ["", "-wal"].compactMap { Storage.fileSize(path + $0) }.reduce(0, +) } })
            var services: [any Service] = [app]
            if case .listener(let host, let port) = settings.metrics {
                services.append(TackApplication.makeMetricsApplication(host: host, port: port, logger: logger))
            }
            let collecting = Task { await collector.run() }
            let keepEvents = Duration.seconds(settings.eventRetentionSeconds)
            let following = Task { await storage.catalog.followChanges(every: .milliseconds(200), keep: .seconds(600), keepEvents: keepEvents) }
            try await ServiceGroup(configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
            collecting.cancel()
            following.cancel()
            await storage.catalog.close()
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.", subcommands: [Add.self, Remove.self, Quota.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Create a user and print its first API token on the last line.")

        @OptionGroup var options: StorageOptions
        @Argument(help: "The user's unique name.") var name: String
        @Option(help: "client or freelancer.") var role: Role
        @Option(help: "Bytes this user may store, e.g. 10GiB (default: the server's user_quota_bytes).") var quota: String?

        func run() async throws {
            try await reportingFailures {
                guard UserName.isValid(name) else {
                    throw TackError.invalid(.invalidUserName, "a user name is 1 to 64 letters, digits, '.', '_' or '-'")
                }
                let bytes = try quota.map(QuotaArgument.parse)
                let token = Tokens.generate()
                try await Storage.using(try options.settings()) { storage in
                    _ = try await storage.catalog.createUser(name: name, role: role, tokenDigest: Tokens.digest(token), at: Date())
                    if let bytes { try await storage.catalog.setQuota(of: name, to: bytes) }
                }
                print("created \(role.rawValue) \(name); this token is shown only once:")
                print(token)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Remove a user: their tokens stop working at once; their attachments stay in their rooms.")

        @OptionGroup var options: StorageOptions
        @Argument(help: "The user's name.") var name: String

        func run() async throws {
            try await reportingFailures {
                let removed = try await Storage.using(try options.settings()) { try await $0.catalog.removeUser(named: name) }
                guard removed else { throw TackError.notFound("user '\(name)'") }
                print("removed \(name); their tokens no longer work")
            }
        }
    }

    struct Quota: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "quota", abstract: "Show a user's usage, or set their quota (a size like 10GiB, or 'default').")

        @OptionGroup var options: StorageOptions
        @Argument(help: "The user's name.") var name: String
        @Argument(help: "The new quota: a size like 500MiB or 10GiB, or 'default' for the server's.") var size: String?

        func run() async throws {
            try await reportingFailures {
                let settings = try options.settings()
                let newQuota = try size.map { $0 == "default" ? nil : try QuotaArgument.parse($0) }
                let found = try await Storage.using(settings) { storage in
                    if let newQuota { try await storage.catalog.setQuota(of: name, to: newQuota) }
                    return try await storage.catalog.usage(of: name)
                }
                guard let usage = found else { throw TackError.notFound("user '\(name)'") }
                let quota = usage.quotaBytes ?? settings.userQuotaBytes
                print("\(name): \(usage.usedBytes) of \(quota) bytes used\(usage.quotaBytes == nil ? " (the server's default quota)" : "")")
            }
        }
    }
}

/// A quota as written on the command line.
enum QuotaArgument {
    static func parse(_ text: String) throws(TackError) -> Int64 {
        guard let bytes = ByteCount.parse(text) else {
            throw .invalid(.invalidSetting, "'\(text)' is not a size; write it like 500MiB or 10GiB")
        }
        return bytes
    }
}

extension Role: ExpressibleByArgument {}

/// User names appear in URLs and in search (`from:bob`), so they stay simple.
enum UserName {
    static func isValid(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage API tokens.", subcommands: [New.self, List.self, Revoke.self])

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "new", abstract: "Issue another token for a user and print it.")

        @OptionGroup var options: StorageOptions
        @Argument(help: "The user's name.") var name: String

        func run() async throws {
            try await reportingFailures {
                let token = Tokens.generate()
                try await Storage.using(try options.settings()) {
                    try await $0.catalog.addToken(user: name, tokenDigest: Tokens.digest(token), at: Date())
                }
                print(token)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a user's tokens by id (the tokens themselves are never stored).")

        @OptionGroup var options: StorageOptions
        @Argument(help: "The user's name.") var name: String

        func run() async throws {
            try await reportingFailures {
                let tokens = try await Storage.using(try options.settings()) { try await $0.catalog.tokens(of: name) }
                for token in tokens {
                    print("\(token.id)  created \(Timestamp.rfc3339(token.createdAt))")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id (from 'token list'); a running tackd refuses it from its next request on.")

        @OptionGroup var options: StorageOptions
        @Argument(help: "The token's id, like tok_0123456789abcdef.") var id: String

        func run() async throws {
            try await reportingFailures {
                let revoked = try await Storage.using(try options.settings()) { try await $0.catalog.revokeToken(id: id) }
                guard revoked else { throw TackError.notFound("token '\(id)'") }
                print("revoked \(id)")
            }
        }
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage the keys that sign attachment links.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate", abstract: "Sign new links with a fresh key; older keys verify their links until those expire (signed_link_max_seconds), then go.")

        @OptionGroup var options: StorageOptions

        func run() async throws {
            try await reportingFailures {
                let settings = try options.settings()
                let (added, forgotten) = try await Storage.using(settings) { storage in
                    let key = LinkSigner.makeKey()
                    try await storage.catalog.addLinkKey(key)
                    let expired = LinkSigner.expiredKeys(try await storage.catalog.linkKeys(), now: Date(),
                                                         maxLinkSeconds: settings.signedLinkMaxSeconds)
                    for id in expired { _ = try await storage.catalog.forgetLinkKey(id: id) }
                    return (key.id, expired)
                }
                print("signing with \(added)" + (forgotten.isEmpty ? "" : "; forgot \(forgotten.joined(separator: ", "))"))
            }
        }
    }
}

struct CollectGarbage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Remove blobs no attachment references and stale staging files; safe while serving.")

    @OptionGroup var options: StorageOptions

    func run() async throws {
        try await reportingFailures {
            let report = try await Storage.using(try options.settings()) {
                try await GarbageCollector(blobs: try await $0.blobs(), catalog: $0.catalog).collect()
            }
            print("examined \(report.examined) blobs, removed \(report.removed) (\(report.removedBytes) bytes), restored \(report.restored), swept \(report.sweptStaging) staging files")
        }
    }
}

struct Retention: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Delete attachments older than their room's retention (its retentionDays, else retention_days); serve does it hourly.",
        discussion: "Their messages say they were removed by retention; gc then reclaims bytes nothing else uses.")

    @OptionGroup var options: StorageOptions
    @Flag(help: "List what would be deleted, and delete nothing.") var dryRun = false
    @Option(help: ArgumentHelp("With --dry-run: what will have gone by this day (yyyyMMdd, 00:00 UTC) instead of now.",
                               valueName: "yyyyMMdd"))
    var asOf: String?

    func run() async throws {
        try await reportingFailures {
            // Judging by another day only ever previews: deleting early what is not yet due would break the policy.
            guard asOf == nil || dryRun else {
                throw TackError.invalid(.invalidSetting, "--as-of only previews: add --dry-run")
            }
            let now = try asOf.map(Self.startOfDay) ?? Date()
            let settings = try options.settings()
            let removed = try await Storage.using(settings) { storage in
                let sweep = RetentionSweep(catalog: storage.catalog, defaultDays: Int(settings.retentionDays))
                return dryRun ? try await sweep.due(at: now) : try await sweep.run(at: now)
            }
            for attachment in removed {
                print("\(attachment.id)\t\(attachment.room)\t\(Timestamp.rfc3339(attachment.createdAt))\t\(attachment.size)\t\(attachment.name)")
            }
            let bytes = removed.reduce(Int64(0)) { $0 + $1.size }
            print("\(dryRun ? "would delete" : "deleted") \(removed.count) attachments (\(bytes) bytes)")
        }
    }

    static func startOfDay(_ text: String) throws -> Date {
        guard let day = CalendarDay(yyyymmdd: text) else {
            throw TackError.invalid(.invalidSetting, "--as-of takes a day as yyyyMMdd (like 20270301), not '\(text)'")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
    }
}

struct ListJobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List background jobs not yet finished: queued, running (with their lease) and failed.")

    @OptionGroup var options: StorageOptions
    @Option(help: "Show at most this many.") var limit = 100
    @Flag(help: "Queue every failed job again, with fresh attempts (once what made them fail is fixed).")
    var retryFailed = false

    func run() async throws {
        try await reportingFailures {
            if retryFailed {
                let count = try await Storage.using(try options.settings()) { try await $0.catalog.retryFailedJobs(at: Date()) }
                return print("queued \(count) failed jobs again")
            }
            let jobs = try await Storage.using(try options.settings()) { try await $0.catalog.jobs(limit: limit) }
            guard !jobs.isEmpty else { return print("no jobs") }
            for job in jobs {
                var line = "\(job.id)\t\(job.kind.rawValue)\t\(job.subject)\t\(job.state.rawValue)\tattempts \(job.attempts)"
                switch job.state {
                case .queued: line += "\tdue \(Timestamp.rfc3339(job.runAfter))"
                case .running: line += "\theld by \(job.leaseOwner ?? "?") until \(job.leaseUntil.map(Timestamp.rfc3339) ?? "?")"
                case .failed: break
                }
                if let error = job.lastError { line += "\tlast error: \(error)" }
                print(line)
            }
        }
    }
}

struct MigrateStorage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-storage",
        abstract: "Copy every blob to another blob store, verifying each hash, and the catalog into PostgreSQL; safe to interrupt and rerun.",
        discussion: """
            Blobs: run it while tackd serves, then stop tackd, run it once more (it copies only what is new), set \
            blobs to the new location and start tackd again. Catalog: stop tackd first; the copy is one transaction \
            (an interrupted one leaves nothing), and a rerun copies everything again. Then set catalog (and blobs) \
            and start tackd, as many instances as you like.
            """)

    @OptionGroup var options: StorageOptions
    @Option(help: ArgumentHelp("Where the blobs go: file:PATH or s3://BUCKET?endpoint=URL&... (keys as for --blobs).",
                               valueName: "location"))
    var toBlobs: String?
    @Option(help: ArgumentHelp("Where the catalog goes: postgres://USER@HOST:PORT/DATABASE (password as for --catalog); "
                                + "the database must be empty or hold an earlier copy of this catalog.",
                               valueName: "location"))
    var toCatalog: String?

    func validate() throws {
        guard toBlobs != nil || toCatalog != nil else {
            throw ValidationError("say where to: --to-blobs, --to-catalog or both")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let settings = try options.settings()
            let blobTarget = try toBlobs.map { try BlobStoreLocation.parse($0, storage: settings.storage) }
            if let blobTarget, blobTarget == (try BlobStoreLocation.parse(settings.blobs, storage: settings.storage)) {
                throw TackError.invalid(.invalidSetting, "--to-blobs is where the blobs are already")
            }
            var postgres: PostgresLocation?
            if let toCatalog {
                let target = try CatalogLocation.parse(toCatalog, storage: settings.storage, password: settings.postgresPassword?.value)
                guard case .postgres(let location) = target else {
                    throw TackError.invalid(.invalidSetting, "--to-catalog must be a postgres:// URL: the embedded catalog is the one SQLite file")
                }
                postgres = location
            }
            try await Storage.using(settings) { storage in
                if let blobTarget {
                    // The destination is marked as this catalog's, as the source is: switching over changes nothing else.
                    let destination = try await storage.blobs(at: blobTarget)
                    let report = try await BlobMigration(from: try await storage.blobs(), to: destination).run { report in
                        let done = report.copied + report.present
                        if done % 100 == 0 { FileHandle.standardError.write(Data("migrate-storage: \(done) blobs settled\n".utf8)) }
                    }
                    print("copied \(report.copied) blobs (\(report.copiedBytes) bytes), \(report.present) were there already; every hash verified")
                    if report.quarantined > 0 {
                        print("\(report.quarantined) blobs are quarantined by an interrupted gc and were not copied: run tackd gc, then this again")
                    }
                }
                if let postgres {
                    guard let source = storage.catalog as? SQLiteCatalog else {
                        throw TackError.invalid(.invalidSetting, "--to-catalog copies the embedded catalog; this one is \(storage.location.displayName)")
                    }
                    let destination = try await PostgresCatalog.open(postgres)
                    do {
                        let counts = try await CatalogMigration(from: source, to: destination).run { table, rows in
                            if rows % 10_000 == 0 { FileHandle.standardError.write(Data("migrate-storage: \(table): \(rows) rows\n".utf8)) }
                        }
                        await destination.close()
                        let summary = counts.sorted { $0.key < $1.key }.filter { $0.value > 0 }.map { "\($0.value) \($0.key)" }
                        print("copied the catalog to \(postgres.displayName): \(summary.joined(separator: ", ")); every table's rows counted on both sides")
                    } catch {
                        await destination.close()
                        throw error
                    }
                }
            }
        }
    }
}

extension ThumbnailMethod: ExpressibleByArgument {}

struct MakeThumbnail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnail",
        abstract: "Make a thumbnail of a PNG or JPEG file (or of a PPM `tackd preview` wrote) with the service's own code path.")

    @Argument(help: "The image to read.") var input: String
    @Argument(help: "Where to write the thumbnail (JPEG, or PNG when the image has transparency).") var output: String
    @Option(help: "Longest side for scale, side of the square for crop.") var size: Int
    @Option(help: "scale (fit inside, never enlarge) or crop (fill, centred).") var method: ThumbnailMethod = .scale
    @Option(help: "Refuse images with more pixels than this.") var maxPixels: Int = 100_000_000

    func run() async throws {
        try await reportingFailures {
            guard FileManager.default.isReadableFile(atPath: input) else {
                throw TackError.invalid(.unreadableInput, "cannot read \(input)")
            }
            // The file is read as it decodes, as the service does: memory follows the thumbnail, not the image.
            let thumbnailer = Thumbnailer(limits: ImageLimits(maxPixels: maxPixels))
            let pixmap = FileHandle(forReadingAtPath: input).flatMap { try? $0.read(upToCount: 2) } == Data("P6".utf8)
            let thumbnail = pixmap ? try thumbnailer.thumbnail(ofPixmapAt: input, size: size, method: method)
                : try thumbnailer.thumbnail(ofFileAt: input, size: size, method: method)
            // Atomic: a reader never sees half a thumbnail, and a failure leaves any older file untouched.
            try Data(thumbnail.bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
        }
    }
}

extension TextFormat: ExpressibleByArgument {}

/// `tackd text`: a file's text as search indexes it, printed as JSON. The service runs it as a worker process for
/// every format read by C libraries (zlib, libxml2), with the limits below set on itself before the file is opened,
/// so a hostile document can at worst end this process, never tackd.
struct ReadText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text", abstract: "Print the text of a file as tackd indexes it, as JSON {\"text\", \"truncated\"} or {\"error\"}.")

    @Argument(help: "The file to read.") var input: String
    @Option(help: "plain, ooxml (docx, xlsx, pptx), odf (odt, ods, odp), pdf or ocr (an image's text by OCR).") var format: TextFormat
    @Option(help: "OCR languages, as tesseract names them (eng, eng+deu).") var languages = "eng"
    @Option(help: "Bytes of text kept.") var maxBytes: Int = 1 << 20
    @Option(help: "Bytes of address space this process may use.") var maxMemory: Int = 2 << 30
    @Option(help: "Seconds of CPU this process may use.") var maxSeconds: Int = 30

    func run() throws {
        try WorkerLimits.apply(memory: maxMemory, seconds: maxSeconds)
        let answer: TextWorkerAnswer
        do {
            let text = try extract()
            answer = TextWorkerAnswer(text: text.text, truncated: text.truncated)
        } catch {
            answer = TextWorkerAnswer(error: error.message)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        FileHandle.standardOutput.write((try? encoder.encode(answer)) ?? Data(#"{"error":"the text could not be encoded"}"#.utf8))
        if answer.error != nil { Foundation.exit(3) }
    }

    private func extract() throws(TackError) -> ExtractedText {
        switch format {
        case .plain:
            guard let handle = FileHandle(forReadingAtPath: input) else { throw TackError.invalid(.unreadableInput, "cannot read \(input)") }
            defer { try? handle.close() }
            let head = (try? handle.read(upToCount: maxBytes)) ?? Data()
            let size = (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? head.count
            return try PlainTextExtractor.extract(Array(head), complete: head.count >= size, limit: maxBytes)
        case .officeOpenXML, .openDocument:
            return try DocumentTextExtractor(maxTextBytes: maxBytes).extract(file: input, format: format)
        case .pdf, .screenshot:
            // The reader inherits this process's limits.
            let reader = format == .pdf ? ProgramTextReader.pdf(maxTextBytes: maxBytes)
                : ProgramTextReader.ocr(maxTextBytes: maxBytes, languages: languages)
            do {
                return try reader.extract(file: input)
            } catch let error as TackError {
                throw error
            } catch {
                // Not the file's fault: exit 4, so tackd retries the job and shows the reason in `tackd jobs`.
                FileHandle.standardOutput.write(Data("\(error)".utf8))
                Foundation.exit(4)
            }
        }
    }
}

/// The limits a worker command (`tackd text`, `tackd preview`) sets on itself before it opens the file; the reader
/// programs it starts inherit them.
enum WorkerLimits {
    /// `fileBytes` bounds each file the worker and its readers write (heif-convert's decoded pictures): past it the
    /// kernel stops the writer (SIGXFSZ).
    static func apply(memory: Int, seconds: Int, fileBytes: Int? = nil) throws {
        // A group of its own, so tackd's deadline, sent to the group, ends the reader (pdftotext, pdftoppm) with it.
        _ = setpgid(0, 0)
        guard limit(Int32(RLIMIT_AS.rawValue), to: memory), limit(Int32(RLIMIT_CPU.rawValue), to: seconds),
              fileBytes.map({ limit(Int32(RLIMIT_FSIZE.rawValue), to: $0) }) ?? true else {
            throw ValidationError("cannot set resource limits: \(String(cString: strerror(errno)))")
        }
    }

    /// Lowers a limit to `value`, or to the hard limit already in place if that is lower (raising it needs root).
    private static func limit(_ resource: Int32, to value: Int) -> Bool {
        var current = rlimit()
        guard getrlimit(resource, &current) == 0 else { return false }
        let wanted = min(rlim_t(value), current.rlim_max)
        var lowered = rlimit(rlim_cur: wanted, rlim_max: wanted)
        return setrlimit(resource, &lowered) == 0
    }
}

extension PreviewSource: ExpressibleByArgument {}

/// `tackd preview`: a picture (a binary PPM) of a PDF's first page or of a video's frame, or with `--thumbnail` the
/// finished thumbnail made from it, as the service stores it.
/// The service runs it as a worker process, as it runs `tackd text`, so poppler and ffmpeg read a hostile file under
/// limits, never inside tackd; their picture is scaled here too, under the same limits. Prints `{}` (the facts, and the
/// thumbnail's size) when the output was written, `{"error"}` (exit 3) when the file is at fault; exit 4 when pdftoppm
/// or ffmpeg cannot run.
struct RenderPreview: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Render a PDF's first page, a video's (or GIF's, WebP's) frame, a recording's waveform or a HEIC/AVIF image to a PPM (or, with --thumbnail, its thumbnail), as tackd does for thumbnails.")

    @Argument(help: "The file.") var input: String
    @Argument(help: "The PPM to write (its name must end in .ppm), or the thumbnail with --thumbnail.") var output: String
    @Option(help: "pdf-page, video-frame, waveform or heif-image.") var format: PreviewSource
    @Option(help: "The file's content type (video/mp4, video/quicktime, video/webm, video/x-matroska, image/gif, image/webp; audio/mpeg, audio/ogg, audio/wav, audio/flac; image/heic, image/avif).")
    var contentType = "application/pdf"
    @Option(help: "Pixels on the page's longer side.") var size: Int = 640
    @Option(help: "Bytes of address space this process may use.") var maxMemory: Int = 2 << 30
    @Option(help: "Seconds of CPU this process may use.") var maxSeconds: Int = 30
    @Option(help: "Most pixels a HEIF image (or any item in it) may declare; larger ones are refused before decoding.")
    var maxPixels: Int = 100_000_000
    @Option(help: "Write the thumbnail of this many pixels (JPEG) made from the picture, instead of the picture.")
    var thumbnail: Int?
    @Option(help: "With --thumbnail: scale (fit inside, never enlarge) or crop (fill, centred).") var method: ThumbnailMethod = .scale
    @Option(help: "Threads ffmpeg decodes a video with.") var threads: Int = 2

    var request: PreviewRequest {
        PreviewRequest(input: input, output: output, format: format, contentType: contentType, size: size, maxMemory: maxMemory,
                       maxSeconds: maxSeconds, maxPixels: maxPixels, thumbnail: thumbnail, method: method, threads: threads)
    }

    func validate() throws {
        if let problem = request.problem { throw ValidationError(problem) }
    }

    func run() throws {
        let status = request.perform()
        if status != 0 { throw ExitCode(status) }
    }
}

extension PreviewRequest {
    /// Makes the picture or thumbnail under the worker's limits, prints the answer and returns the exit status: 0,
    /// 3 when the file is at fault (`{"error"}`), 4 when the work could not be done for another reason (the limits
    /// could not be set, the renderer cannot run, the thumbnail cannot be written: the reason in plain words).
    func perform() -> Int32 {
        let answer: PreviewWorkerAnswer
        do {
            // The largest file a renderer needs: heif-convert's YCbCr picture of every pixel allowed (3 bytes a pixel
            // at most, at 4:4:4), or a PPM of the largest size. Failing to set them is not the file's fault (exit 4).
            try WorkerLimits.apply(memory: maxMemory, seconds: maxSeconds, fileBytes: max(maxPixels, 4096 * 4096) * 3 + (16 << 20))
            if let thumbnail {
                // The picture in a folder of its own beside the output, gone once the thumbnail is made of it.
                let folder = try PrivateFolder.make(beside: output, prefix: "preview")
                defer { try? FileManager.default.removeItem(atPath: folder) }
                let facts = try render(to: folder + "/picture.ppm")
                let made = try Thumbnailer(limits: ImageLimits(maxPixels: maxPixels))
                    .thumbnail(ofPixmapAt: folder + "/picture.ppm", size: thumbnail, method: method)
                try PrivateFolder.publish(made.bytes, in: folder, as: output)
                answer = PreviewWorkerAnswer(error: nil, facts: facts, thumbnail: PreviewWorkerAnswer.Made(
                    format: made.format.rawValue, width: made.width, height: made.height))
            } else {
                answer = PreviewWorkerAnswer(error: nil, facts: try render(to: output))
            }
        } catch let error as TackError {
            answer = PreviewWorkerAnswer(error: error.message)
        } catch {
            // Not the file's fault: exit 4, so tackd retries the job and shows the reason in `tackd jobs`.
            FileHandle.standardOutput.write(Data("\(error)".utf8))
            return 4
        }
        FileHandle.standardOutput.write((try? JSONEncoder().encode(answer)) ?? Data(#"{"error":"the answer could not be encoded"}"#.utf8))
        return answer.error == nil ? 0 : 3
    }

    /// Writes the picture to `ppm` and returns the file's facts. A video's or a recording's are what ffmpeg printed
    /// while it drew; a PDF's pages are read by pdfinfo while pdftoppm draws, on the otherwise idle core.
    private func render(to ppm: String) throws -> MediaFacts? {
        let (input, size) = (input, size)
        switch format {
        case .image: preconditionFailure("refused by PreviewRequest.problem")
        case .pdfPage:
            return try alongside({ PDFFactsReader().facts(of: input) }) {
                try PDFPageRenderer().renderFirstPage(of: input, longSide: size, to: ppm)
            }
        case .videoFrame:
            return try VideoFrameRenderer(threads: threads).renderFrame(of: input, contentType: contentType, longSide: size, to: ppm)
        case .waveform:
            return try WaveformRenderer().renderWaveform(of: input, contentType: contentType, longSide: size, to: ppm)
        case .heifImage:
            // The header was read before decoding, to apply the pixel limit: its size and codec are the facts.
            let header = try HEIFImageRenderer().render(input, longSide: size, maxPixels: maxPixels, to: ppm)
            return MediaFacts(width: header.width, height: header.height, codec: header.codec)
        }
    }
}
