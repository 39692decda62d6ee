/// tackd's configuration, resolved from flags, then `TACK_*` environment variables, then a config file.
public struct Settings: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var storage = "storage"
    /// Where blobs live: `file:PATH` or `s3://BUCKET?endpoint=URL&region=R&style=path`; nil is `<storage>/blobs`.
    public var blobs: String?
    /// Where the catalog lives: `sqlite:PATH` or `postgres://USER@HOST:PORT/DB`; nil is `<storage>/tack.sqlite`.
    public var catalog: String?
    /// The password of a `postgres://` catalog when its URL has none; from the environment or the config file only.
    public var postgresPassword: Secret?
    /// The access key id of an `s3://` blob store.
    public var s3AccessKeyID: String?
    /// The secret of an `s3://` blob store; from the environment or the config file only, never a flag.
    public var s3SecretAccessKey: Secret?
    public var limits = Limits()
    /// Thumbnail sizes clients may ask for; the first is made in the background after each image upload.
    public var thumbnailSizes = [320, 64, 800]
    /// Remove EXIF (GPS included), XMP and comments from stored JPEGs, keeping their orientation.
    public var stripMetadata = true
    /// Images with more pixels are not decoded.
    public var maxImagePixels = 100_000_000
    /// Most thumbnail jobs waiting in the background; later uploads get theirs on first request.
    public var thumbnailQueue = 64
    /// Bytes of text read out of each file for search (the start of a longer file).
    public var maxExtractBytes = 1 << 20
    /// Address space and CPU seconds of the worker process that reads a document's text.
    public var extractMemoryBytes: Int64 = 2 << 30
    public var extractSeconds: Int64 = 30
    /// Threads ffmpeg decodes a video with for its thumbnail, in the `tackd preview` worker (its CPU seconds count
    /// every thread).
    public var previewThreads = 2
    /// Most text jobs waiting in the background; past it, a file's text is queued when someone asks for it.
    public var textQueue = 1000
    /// The languages OCR reads screenshots in, as tesseract names them (`eng`, `eng+deu`); each needs its
    /// tesseract-ocr-LANG package.
    public var ocrLanguages = "eng"
    /// Whether screenshots are read by OCR (`ocr = on|off`); documents are read either way.
    public var ocr = true
    /// Which files' text is read, from `ocr`.
    public var textReading: TextReading { TextReading(ocr: ocr) }
    /// Seconds a runner holds a claimed job; a job whose runner died is taken again once this lapses.
    public var jobLeaseSeconds: Int64 = 60
    /// Claims a background job gets before it is marked failed (with its reason, in `tackd jobs`).
    public var jobAttempts = 5
    /// How tackd fetches linked files.
    public var links = LinkSettings()
    /// Seconds a connection may stay silent, mid-request or between requests, before it is closed.
    public var idleTimeoutSeconds: Int64 = 120
    /// Bytes each user may store unless given a quota of their own.
    public var userQuotaBytes: Int64 = 10 << 30
    /// How often each user may upload, paste links and refresh them.
    public var rateLimits = RateLimitSettings()
    /// Guards against clients that hold connections without using them.
    public var connections = ConnectionSettings()
    /// Seconds between collections of unreferenced blobs inside `serve`; 0 turns them off.
    public var gcIntervalSeconds: Int64 = 3600
    /// Where `/metrics` is served: on the API's own port, on a listener of its own, or nowhere.
    public var metrics = MetricsEndpoint.api
    /// Log lines as text for people, or one JSON object per line for collectors.
    public var logFormat = LogFormat.text
    /// Entries in each of the catalog's read caches (tokens, rooms, attachments, thumbnails); 0 turns them off.
    public var catalogCacheEntries = 20_000
    /// Bytes of small immutable blobs (thumbnails) kept in memory to serve without touching the disk; 0 turns it off.
    public var blobCacheBytes: Int64 = 64 << 20
    /// Bytes of rendered attachment pages kept in memory, forgotten when their room changes; 0 turns it off.
    public var pageCacheBytes: Int64 = 16 << 20
    /// Seconds rooms' events are kept for live streams that reconnect (`Last-Event-ID`).
    public var eventRetentionSeconds: Int64 = 86_400
    /// Seconds between heartbeat comments on an idle live stream, so proxies keep it open.
    public var eventHeartbeatSeconds: Int64 = 15
    /// The longest a signed attachment link may live (`signed_link_max_seconds`); also how long a rotated-out key
    /// keeps verifying. A week by default.
    public var signedLinkMaxSeconds: Int64 = 7 * 86_400
    /// How long a resumable (tus) upload lives after its creation or its latest chunk before it is deleted
    /// (`upload_expiry_seconds`).
    public var uploadExpirySeconds: Int64 = 86_400
    /// Days a room keeps attachments unless its creator set its own (`retention_days`); 0 keeps them forever.
    public var retentionDays: Int64 = 0

    public init() {}

    /// Every key a config file may hold; the environment variable is `TACK_` + the key in upper case.
    public static let keys = [
        "host", "port", "storage", "max_upload_bytes", "max_name_bytes", "default_page_size", "max_page_size",
        "max_json_bytes", "idle_timeout_seconds",
        "link_fetching", "link_allow", "link_allow_hosts", "link_allow_http", "link_resolve", "link_ca_file", "link_max_bytes", "link_timeout_seconds",
        "link_stall_seconds", "link_max_redirects", "thumbnail_sizes", "max_image_pixels", "strip_metadata",
        "user_quota_bytes", "rate_uploads_per_minute", "rate_links_per_minute", "rate_refreshes_per_minute",
        "header_timeout_seconds", "min_body_bytes_per_second", "min_body_rate_window_seconds", "max_connections",
        "linger_seconds", "linger_max_bytes", "linger_idle_seconds",
        "gc_interval_seconds", "thumbnail_queue", "metrics", "log_format", "catalog_cache_entries", "blob_cache_bytes",
        "page_cache_bytes", "max_query_bytes", "event_retention_seconds", "event_heartbeat_seconds", "signed_link_max_seconds",
        "upload_expiry_seconds", "retention_days", "max_extract_bytes", "extract_memory_bytes", "extract_seconds", "preview_threads", "text_queue", "ocr_languages", "ocr",
        "blobs", "s3_access_key_id", "s3_secret_access_key", "job_lease_seconds", "job_attempts", "catalog",
        "postgres_password",
    ] + LinkSettings.endpointKeys

    /// Layers the sources, first wins: `flags` (already named by key), `environment`, then `file`.
    /// Unknown file keys and malformed values are refused, naming the source, so typos never pass silently.
    public static func resolve(
        flags: [String: String], environment: [String: String], file: [String: String]
    ) throws(TackError) -> Settings {
        for key in file.keys where !keys.contains(key) {
            throw .invalid(.invalidSetting, "config file: unknown setting '\(key)' (known: \(keys.joined(separator: ", ")))")
        }
        func value(_ key: String) -> (String, String)? {
            if let flag = flags[key] { return (flag, "--\(key.replacingOccurrences(of: "_", with: "-"))") }
            let variable = "TACK_" + key.uppercased()
            if let env = environment[variable], !env.isEmpty { return (env, variable) }
            if let fromFile = file[key] { return (fromFile, "config file '\(key)'") }
            return nil
        }
        func integer(_ key: String, range: ClosedRange<Int64>, bytes: Bool = false) throws(TackError) -> Int64? {
            guard let (text, source) = value(key) else { return nil }
            let parsed = bytes ? ByteCount.parse(text) : Int64(text)
            guard let parsed, range.contains(parsed) else {
                throw .invalid(.invalidSetting, "\(source): '\(text)' must be \(bytes ? "a size like 100MiB" : "a whole number") from \(range.lowerBound) to \(range.upperBound)")
            }
            return parsed
        }
        var settings = Settings()
        if let (host, _) = value("host") { settings.host = host }
        if let (storage, _) = value("storage") { settings.storage = storage }
        if let port = try integer("port", range: 0...65535) { settings.port = Int(port) }
        if let (blobs, source) = value("blobs") {
            guard blobs.hasPrefix("file:") || blobs.hasPrefix("s3://") else {
                throw .invalid(.invalidSetting, "\(source): '\(blobs)' must be file:PATH or s3://BUCKET?endpoint=URL")
            }
            settings.blobs = blobs
        }
        if let (catalog, source) = value("catalog") {
            guard catalog.hasPrefix("sqlite:") || catalog.hasPrefix("postgres://") || catalog.hasPrefix("postgresql://") else {
                // The value is not repeated: it may hold a password.
                throw .invalid(.invalidSetting, "\(source) must be sqlite:PATH or postgres://USER@HOST:PORT/DATABASE")
            }
            settings.catalog = catalog
        }
        settings.postgresPassword = value("postgres_password").map { Secret($0.0) }
        settings.s3AccessKeyID = value("s3_access_key_id")?.0
        settings.s3SecretAccessKey = value("s3_secret_access_key").map { Secret($0.0) }
        if let v = try integer("max_upload_bytes", range: 0...(1 << 40), bytes: true) { settings.limits.maxUploadBytes = v }
        if let v = try integer("max_name_bytes", range: 16...4096) { settings.limits.maxNameBytes = Int(v) }
        if let v = try integer("max_page_size", range: 1...10_000) { settings.limits.maxPageSize = Int(v) }
        if let v = try integer("default_page_size", range: 1...10_000) { settings.limits.defaultPageSize = Int(v) }
        if let v = try integer("idle_timeout_seconds", range: 1...86_400) { settings.idleTimeoutSeconds = v }
        if let v = try integer("max_json_bytes", range: 1024...(64 << 20), bytes: true) { settings.limits.maxJSONBytes = Int(v) }
        if let v = try integer("max_image_pixels", range: 1...1_000_000_000) { settings.maxImagePixels = Int(v) }
        if let v = try integer("user_quota_bytes", range: 0...(1 << 50), bytes: true) { settings.userQuotaBytes = v }
        if let v = try integer("rate_uploads_per_minute", range: 0...1_000_000) { settings.rateLimits.uploadsPerMinute = Int(v) }
        if let v = try integer("rate_links_per_minute", range: 0...1_000_000) { settings.rateLimits.linksPerMinute = Int(v) }
        if let v = try integer("rate_refreshes_per_minute", range: 0...1_000_000) { settings.rateLimits.refreshesPerMinute = Int(v) }
        if let v = try integer("header_timeout_seconds", range: 1...3600) { settings.connections.headerTimeoutSeconds = v }
        if let v = try integer("min_body_bytes_per_second", range: 0...(1 << 30), bytes: true) { settings.connections.minBodyBytesPerSecond = v }
        if let v = try integer("max_connections", range: 1...1_000_000) { settings.connections.maxConnections = Int(v) }
        if let v = try integer("linger_seconds", range: 0...3600) { settings.connections.lingerSeconds = v }
        if let v = try integer("linger_max_bytes", range: 0...(1 << 40), bytes: true) { settings.connections.lingerMaxBytes = v }
        if let (text, source) = value("metrics") {
            guard let endpoint = MetricsEndpoint(text) else {
                throw .invalid(.invalidSetting, "\(source): '\(text)' must be on, off or HOST:PORT")
            }
            settings.metrics = endpoint
        }
        if let (text, source) = value("log_format") {
            guard let format = LogFormat(rawValue: text.lowercased()) else {
                throw .invalid(.invalidSetting, "\(source): '\(text)' must be text or json")
            }
            settings.logFormat = format
        }
        if let v = try integer("thumbnail_queue", range: 0...100_000) { settings.thumbnailQueue = Int(v) }
        if let v = try integer("max_extract_bytes", range: 1024...(64 << 20), bytes: true) { settings.maxExtractBytes = Int(v) }
        if let v = try integer("extract_memory_bytes", range: (256 << 20)...(64 << 30), bytes: true) { settings.extractMemoryBytes = v }
        if let v = try integer("extract_seconds", range: 1...3600) { settings.extractSeconds = v }
        if let v = try integer("preview_threads", range: 1...16) { settings.previewThreads = Int(v) }
        if let v = try integer("text_queue", range: 1...1_000_000) { settings.textQueue = Int(v) }
        if let (languages, source) = value("ocr_languages") {
            // Passed to tesseract as one argument: only its own form, names joined by '+'.
            guard !languages.isEmpty, languages.count <= 200,
                  languages.split(separator: "+", omittingEmptySubsequences: false).allSatisfy({ name in
                      !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                  }) else {
                throw .invalid(.invalidSetting, "\(source): '\(languages)' is not a list of tesseract languages such as eng or eng+deu")
            }
            settings.ocrLanguages = languages
        }
        if let v = try integer("job_lease_seconds", range: 2...3600) { settings.jobLeaseSeconds = v }
        if let v = try integer("job_attempts", range: 1...100) { settings.jobAttempts = Int(v) }
        if let v = try integer("min_body_rate_window_seconds", range: 1...3600) { settings.connections.rateWindowSeconds = v }
        if let v = try integer("linger_idle_seconds", range: 1...600) { settings.connections.lingerIdleSeconds = v }
        if let v = try integer("gc_interval_seconds", range: 0...(7 * 86_400)) { settings.gcIntervalSeconds = v }
        if let v = try integer("catalog_cache_entries", range: 0...10_000_000) { settings.catalogCacheEntries = Int(v) }
        if let v = try integer("blob_cache_bytes", range: 0...(1 << 40), bytes: true) { settings.blobCacheBytes = v }
        if let v = try integer("page_cache_bytes", range: 0...(1 << 40), bytes: true) { settings.pageCacheBytes = v }
        if let v = try integer("max_query_bytes", range: 16...65_536, bytes: true) { settings.limits.maxQueryBytes = Int(v) }
        if let v = try integer("event_retention_seconds", range: 3600...(30 * 86_400)) { settings.eventRetentionSeconds = v }
        if let v = try integer("event_heartbeat_seconds", range: 1...3600) { settings.eventHeartbeatSeconds = v }
        if let v = try integer("signed_link_max_seconds", range: 60...(366 * 86_400)) { settings.signedLinkMaxSeconds = v }
        if let v = try integer("upload_expiry_seconds", range: 1...(30 * 86_400)) { settings.uploadExpirySeconds = v }
        if let v = try integer("retention_days", range: 0...36_500) { settings.retentionDays = v }
        if let (text, source) = value("thumbnail_sizes") {
            let sizes = text.split(separator: ",").map { Int($0.trimmingWhitespace()) }
            guard !sizes.isEmpty, sizes.allSatisfy({ $0.map { (16...4096).contains($0) } ?? false }) else {
                throw .invalid(.invalidSetting, "\(source): '\(text)' must be sizes from 16 to 4096, like 320,64,800")
            }
            settings.thumbnailSizes = sizes.compactMap { $0 }
        }
        settings.links.maxBytes = settings.limits.maxUploadBytes
        if let v = try integer("link_max_bytes", range: 0...(1 << 40), bytes: true) { settings.links.maxBytes = v }
        if let v = try integer("link_timeout_seconds", range: 1...86_400) { settings.links.timeoutSeconds = v }
        if let v = try integer("link_stall_seconds", range: 1...3600) { settings.links.stallSeconds = v }
        if let v = try integer("link_max_redirects", range: 0...20) { settings.links.maxRedirects = Int(v) }
        func list(_ key: String) -> [String] {
            value(key).map { $0.0.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }.map(String.init) } ?? []
        }
        settings.links.allow = list("link_allow")
        settings.links.allowHosts = list("link_allow_hosts")
        settings.links.resolve = list("link_resolve")
        if let (path, _) = value("link_ca_file"), !path.isEmpty { settings.links.caFile = path }
        func flag(_ key: String) throws(TackError) -> Bool? {
            guard let (text, source) = value(key) else { return nil }
            guard let flag = ["1": true, "true": true, "yes": true, "on": true, "0": false, "false": false, "no": false, "off": false][text.lowercased()] else {
                throw .invalid(.invalidSetting, "\(source): '\(text)' must be on or off (true or false)")
            }
            return flag
        }
        if let allow = try flag("link_allow_http") { settings.links.allowHTTP = allow }
        if let fetching = try flag("link_fetching") { settings.links.fetching = fetching }
        if let strip = try flag("strip_metadata") { settings.stripMetadata = strip }
        if let ocr = try flag("ocr") { settings.ocr = ocr }
        for key in LinkSettings.endpointKeys {
            if let (url, _) = value(key) { settings.links.endpoints[key] = url }
        }
        guard settings.limits.defaultPageSize <= settings.limits.maxPageSize else {
            throw .invalid(.invalidSetting, "default_page_size (\(settings.limits.defaultPageSize)) exceeds max_page_size (\(settings.limits.maxPageSize))")
        }
        return settings
    }
}

/// A setting that must never reach a log line or an error message: it prints as `<redacted>`.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// Sizes as people write them: `1048576`, `512KiB`, `100MiB`, `1GiB`, `10MB` (K, M, G, T and KB, MB, GB, TB are
/// binary too, as most file managers on Linux count them).
public enum ByteCount {
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, let number = Int64(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingWhitespace().lowercased()
        let multiplier: Int64
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1 << 10
        case "m", "mb", "mib": multiplier = 1 << 20
        case "g", "gb", "gib": multiplier = 1 << 30
        case "t", "tb", "tib": multiplier = 1 << 40
        default: return nil
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}

/// Settings for fetching linked files, as written; TackLinks turns them into its policy and rules.
public struct LinkSettings: Sendable, Equatable {
    /// Address ranges fetched even though they are private or loopback (`127.0.0.1/32`, `10.0.0.0/8`).
    public var allow: [String] = []
    /// Host names fetched whatever they resolve to.
    public var allowHosts: [String] = []
    /// Plain http links; off by default.
    public var allowHTTP = false
    /// Whether tackd fetches linked files at all; off, links are still read and checked, then refused.
    public var fetching = true
    /// Fixed answers for names, `host=address`, like curl's `--resolve`.
    public var resolve: [String] = []
    /// PEM certificates trusted for https links besides the system's roots: an organisation's own CA.
    public var caFile: String?
    public var maxBytes: Int64 = 100 * 1024 * 1024
    public var timeoutSeconds: Int64 = 300
    public var stallSeconds: Int64 = 30
    public var maxRedirects = 5
    /// Provider origins by key (`link_endpoint_dropbox`, …), for tests and unusual deployments.
    public var endpoints: [String: String] = [:]

    public static let endpointKeys = [
        "link_endpoint_dropbox", "link_endpoint_dropbox_content", "link_endpoint_google_drive",
        "link_endpoint_google_docs", "link_endpoint_onedrive", "link_endpoint_box",
    ]

    public init() {}
}

/// Bounds on how clients use connections, so a few slow or idle ones cannot starve everybody else.
public struct ConnectionSettings: Sendable, Equatable {
    /// A request head (request line and headers) must be complete this many seconds after the connection opens or
    /// the previous answer ends.
    public var headerTimeoutSeconds: Int64 = 30
    /// A request body that moves slower than this, measured over `rateWindowSeconds`, is dropped; 0 turns it off.
    public var minBodyBytesPerSecond: Int64 = 1024
    /// Seconds over which the body rate is measured.
    public var rateWindowSeconds: Int64 = 30
    /// Most connections open at once; more are closed as they arrive.
    public var maxConnections = 2048
    /// After refusing a request with a body, how long and how much of it tackd still reads and drops, so a client
    /// that sends without waiting for `100 Continue` reads the answer instead of a connection reset.
    public var lingerSeconds: Int64 = 30
    public var lingerMaxBytes: Int64 = 256 << 20
    /// Lingering also ends when the client sends nothing for this long.
    public var lingerIdleSeconds: Int64 = 5

    public init() {}
}

/// Where tackd serves its Prometheus metrics.
public enum MetricsEndpoint: Sendable, Equatable {
    /// `/metrics` on the API's own address.
    case api
    /// `/metrics` on a listener of its own (an address only the monitoring network reaches).
    case listener(host: String, port: Int)
    case off

    /// `on`, `off`, or `HOST:PORT`.
    public init?(_ text: String) {
        switch text.lowercased() {
        case "on", "true", "api": self = .api
        case "off", "false": self = .off
        default:
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                  (0...65535).contains(port), colon > text.startIndex
            else { return nil }
            self = .listener(host: String(text[..<colon]), port: port)
        }
    }
}

/// How tackd writes its log.
public enum LogFormat: String, Sendable, Equatable {
    case text
    case json
}
