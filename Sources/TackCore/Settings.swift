/// tackd's configuration, resolved from flags, then `TACK_*` environment variables, then a config file.
public struct Settings: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var storage = "storage"
    public var limits = Limits()
    /// Seconds a connection may stay silent, mid-request or between requests, before it is closed.
    public var idleTimeoutSeconds: Int64 = 120

    public init() {}

    /// Every key a config file may hold; the environment variable is `TACK_` + the key in upper case.
    public static let keys = [
        "host", "port", "storage", "max_upload_bytes", "max_name_bytes", "default_page_size", "max_page_size",
        "max_json_bytes", "idle_timeout_seconds",
    ]

    /// Layers the sources, first wins: `flags` (already named by key), `environment`, then `file`.
    /// Unknown file keys and malformed values are refused, naming the source, so typos never pass silently.
    public static func resolve(
        flags: [String: String], environment: [String: String], file: [String: String]
    ) throws(TackError) -> Settings {
        for key in file.keys where !keys.contains(key) {
            throw .invalid("invalid_setting", "config file: unknown setting '\(key)' (known: \(keys.joined(separator: ", ")))")
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
                throw .invalid("invalid_setting", "\(source): '\(text)' must be \(bytes ? "a size like 100MiB" : "a whole number") from \(range.lowerBound) to \(range.upperBound)")
            }
            return parsed
        }
        var settings = Settings()
        if let (host, _) = value("host") { settings.host = host }
        if let (storage, _) = value("storage") { settings.storage = storage }
        if let port = try integer("port", range: 0...65535) { settings.port = Int(port) }
        if let v = try integer("max_upload_bytes", range: 0...(1 << 40), bytes: true) { settings.limits.maxUploadBytes = v }
        if let v = try integer("max_name_bytes", range: 16...4096) { settings.limits.maxNameBytes = Int(v) }
        if let v = try integer("max_page_size", range: 1...10_000) { settings.limits.maxPageSize = Int(v) }
        if let v = try integer("default_page_size", range: 1...10_000) { settings.limits.defaultPageSize = Int(v) }
        if let v = try integer("idle_timeout_seconds", range: 1...86_400) { settings.idleTimeoutSeconds = v }
        if let v = try integer("max_json_bytes", range: 1024...(64 << 20), bytes: true) { settings.limits.maxJSONBytes = Int(v) }
        guard settings.limits.defaultPageSize <= settings.limits.maxPageSize else {
            throw .invalid("invalid_setting", "default_page_size (\(settings.limits.defaultPageSize)) exceeds max_page_size (\(settings.limits.maxPageSize))")
        }
        return settings
    }
}

/// Sizes as people write them: `1048576`, `512KiB`, `100MiB`, `1GiB` (K, M, G are binary too).
public enum ByteCount {
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, let number = Int64(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingWhitespace().lowercased()
        let multiplier: Int64
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kib": multiplier = 1 << 10
        case "m", "mib": multiplier = 1 << 20
        case "g", "gib": multiplier = 1 << 30
        default: return nil
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}
