import Foundation

/// Where tack finds its server and token: `$XDG_CONFIG_HOME/tack/config`, overridden by `TACK_SERVER`/`TACK_TOKEN`.
public struct ClientConfig: Codable, Sendable, Equatable {
    public var server: String
    public var token: String

    public init(server: String, token: String) {
        self.server = server; self.token = token
    }

    /// XDG base directories, with their documented fallbacks under `$HOME`.
    public struct Paths: Sendable {
        public var configFile: String
        public var outboxDirectory: String

        public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
            let home = environment["HOME"] ?? NSHomeDirectory()
            let config = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "\(home)/.config"
            let data = environment["XDG_DATA_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "\(home)/.local/share"
            configFile = "\(config)/tack/config"
            outboxDirectory = "\(data)/tack/outbox"
        }
    }

    /// The saved settings with the environment's overrides applied.
    public static func load(paths: Paths, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ClientError) -> ClientConfig {
        var saved: ClientConfig?
        if let data = FileManager.default.contents(atPath: paths.configFile) {
            do {
                saved = try JSONDecoder().decode(ClientConfig.self, from: data)
            } catch {
                throw .local("\(paths.configFile) is not a tack config; run tack login --server URL again")
            }
        }
        let server = environment["TACK_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.server
        let token = environment["TACK_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.token
        guard let server, let token else {
            throw .local("no server configured; run tack login --server URL (it reads the token from stdin), or set TACK_SERVER and TACK_TOKEN")
        }
        return try ClientConfig(server: try normalized(server), token: token).checked()
    }

    /// The config itself when its token can go into a header as it is: printable ASCII without spaces (a line
    /// break in it would start a header of its own).
    public func checked() throws(ClientError) -> ClientConfig {
        guard !token.isEmpty, token.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw .local("the token is not one: tokens are letters, digits and punctuation, as tackd token new prints them")
        }
        return self
    }

    /// Validates a server URL and drops a trailing slash. The URL is read strictly (`scheme://host[:port][/path]`,
    /// nothing that two URL parsers could read differently: no user part, query, fragment, backslash, space or
    /// control character), and a token never goes to it in clear: plain `http` only to this machine's loopback.
    public static func normalized(_ server: String) throws(ClientError) -> String {
        guard let url = ServerURL(server) else {
            throw .local("'\(server)' is not a server URL; write it like https://tack.example.com")
        }
        guard url.allowsToken else {
            throw .insecure("refusing to send the token in clear to \(server); use https:// (plain http only to "
                            + "this machine: 127.0.0.1, ::1 or localhost)")
        }
        return server.hasSuffix("/") ? String(server.dropLast()) : server
    }

    /// Writes the config with mode 0600 (it holds a token), atomically: a crash leaves the old file or the new one.
    public func save(paths: Paths) throws(ClientError) {
        let directory = (paths.configFile as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(encoder.encode(self), to: paths.configFile, mode: 0o600)
        } catch {
            throw .local("cannot write \(paths.configFile): \(error)")
        }
    }
}
