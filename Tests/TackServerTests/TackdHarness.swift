import AsyncHTTPClient
import Crypto
import Foundation
@_exported import TackTestSupport
import NIOCore
import NIOHTTP1
import TackCore
import TackSpawn

/// A real tackd process on 127.0.0.1 with its own storage folder, started from the built binary.
final class Tackd: @unchecked Sendable {
    // @unchecked: `process` is only touched by the test that owns this harness, never concurrently.
    let storage: String
    private(set) var port = 0
    private var process: ChildProcess?
    private let ownsStorage: Bool

    static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["TACKD_BIN"] { return explicit }
        // The test bundle sits next to the package's executables in the build folder.
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("tackd").path) {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("tackd").path
    }

    init(storage: String? = nil) throws {
        if let storage {
            self.storage = storage
            ownsStorage = false
        } else {
            self.storage = NSTemporaryDirectory() + "tackd-test-" + UUID().uuidString
            ownsStorage = true
        }
        try FileManager.default.createDirectory(atPath: self.storage, withIntermediateDirectories: true)
    }

    deinit {
        kill()
        if ownsStorage { try? FileManager.default.removeItem(atPath: storage) }
    }

    /// Starts `tackd serve` on a free port and waits until it says where it listens.
    func start(_ extra: [String] = [], environment: [String: String] = [:], stderr: String? = nil) async throws {
        let log = "\(storage)/serve-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let logFile = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? logFile.close() }
        var errors = ChildProcess.Stream.inherit
        if let stderr {
            _ = FileManager.default.createFile(atPath: stderr, contents: nil)
            errors = .file(try FileHandle(forWritingTo: URL(fileURLWithPath: stderr)))
        }
        defer { if case .file(let handle) = errors { try? handle.close() } }
        let process = try ChildProcess.run(
            Self.binary, ["serve", "--storage", storage, "--port", "0"] + extra,
            // Warnings and errors only: a failing test should show tackd's complaints, not every request.
            environment: ProcessInfo.processInfo.environment.merging(["TACK_LOG_LEVEL": "warning"]) { $1 }.merging(environment) { $1 },
            input: .null, output: .file(logFile), error: errors)
        self.process = process
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening on http://") }),
               let port = line.split(separator: ":").last.flatMap({ Int($0) }) {
                self.port = port
                return
            }
            guard process.isRunning else { throw HarnessError("tackd exited during start-up: \(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("tackd did not start within 30 s")
    }

    /// tackd's peak resident memory so far (the kernel's high-water mark), in bytes.
    func peakResidentBytes() -> Int? {
        guard let process, process.isRunning,
              let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kilobytes * 1024
    }

    /// Whether the tackd this harness started is still running (a failpoint may have killed it).
    var isRunning: Bool { process?.isRunning ?? false }

    /// SIGKILL: no chance to clean up, like a crash or the OOM killer. (SIGTERM may never arrive; see the stack notes.)
    func kill() {
        guard let process, process.isRunning else { return }
        process.signal(SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Runs a tackd admin command against this storage; returns stdout, throws with stderr on failure. It waits on a
    /// thread of its own: waiting for the process on the cooperative pool held one of its two threads, and every
    /// server test's world runs three of these (in the full suite that stalled every other async test for a minute).
    @discardableResult
    func admin(_ arguments: [String]) async throws -> String {
        let command = arguments + ["--storage", storage]
        return try await offThePool { try Self.run(command) }
    }

    private static func run(_ arguments: [String]) throws -> String {
        let out = Pipe(), err = Pipe()
        let process = try ChildProcess.run(Self.binary, arguments, input: .null, output: .pipe(out), error: .pipe(err))
        let watchdog = Watchdog(process, limit: .seconds(120), name: "tackd \(arguments.joined(separator: " "))")
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try watchdog.finish()
        guard process.terminationStatus == 0 else {
            throw HarnessError("tackd \(arguments.joined(separator: " ")) failed: \(String(decoding: stderr, as: UTF8.self))")
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    /// Creates a user and returns the token tackd printed on the last line.
    func addUser(_ name: String, role: String) async throws -> String {
        let output = try await admin(["user", "add", name, "--role", role])
        return String(output.split(separator: "\n").last ?? "")
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Files under blobs/sha256: how many distinct blobs are stored.
    func storedBlobCount() -> Int {
        let root = "\(storage)/blobs/sha256"
        let enumerator = FileManager.default.enumerator(atPath: root)
        var count = 0
        while let path = enumerator?.nextObject() as? String {
            if path.split(separator: "/").count == 3 { count += 1 }
        }
        return count
    }

    func stagingFiles() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "\(storage)/blobs/tmp")) ?? []
    }

    /// Bytes of all the files under blobs/sha256.
    func storedBlobBytes() -> Int {
        let root = "\(storage)/blobs/sha256"
        let enumerator = FileManager.default.enumerator(atPath: root)
        var total = 0
        while let path = enumerator?.nextObject() as? String {
            if let size = (try? FileManager.default.attributesOfItem(atPath: "\(root)/\(path)"))?[.size] as? Int,
               path.split(separator: "/").count == 3 { total += size }
        }
        return total
    }

    /// What each of tackd's open descriptors names, as /proc shows it: an O_TMPFILE staging file is
    /// `…/blobs/tmp/#<inode> (deleted)`.
    func openFiles() -> [String] {
        guard let process, process.isRunning else { return [] }
        let folder = "/proc/\(process.processIdentifier)/fd"
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\($0)")
        }
    }

    /// tackd's own count of the uploads it is receiving now, from `/metrics`.
    func uploadsInFlight() async throws -> Double? {
        let scrape = try await API(base: base, token: nil).request(.GET, "/metrics")
        return try ObservabilityTests.parse(scrape.text).samples.first { $0.name == "tack_uploads_in_flight" }?.value
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A response with its whole body; only for small bodies (JSON, errors).
struct Reply {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Talks to tackd over real HTTP on loopback.
struct API {
    let base: String
    let token: String?

    /// `replayable`: the body (none, or bytes in memory) can be sent again, so a request the shared connection pool
    /// put on a connection that had already closed is sent once more. Every test's tackd listens on a port of its
    /// own, and a port freed by a finished test can be given to a later one: an idle pooled connection to the old
    /// tackd is then handed out before the pool has seen it close, and the write fails ("I/O on closed channel")
    /// with nothing sent. A streamed body is never replayed.
    func request(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [],
                 body: HTTPClientRequest.Body? = nil, replayable: Bool? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        } catch ChannelError.ioOnClosedChannel where replayable ?? (body == nil) {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        }
        var collected: [UInt8] = []
        for try await chunk in response.body { collected += chunk.readableBytesView }
        return Reply(status: Int(response.status.code), headers: response.headers, body: collected)
    }

    func json(_ method: HTTPMethod, _ path: String, _ object: Any) async throws -> Reply {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try await request(method, path, headers: [("Content-Type", "application/json")],
                                 body: .bytes(ByteBuffer(bytes: data)), replayable: true)
    }

    func upload(_ bytes: [UInt8], room: String, name: String = "file.bin", headers: [(String, String)] = []) async throws -> Reply {
        // RFC 8187 attr-chars only: every non-ASCII byte goes percent-encoded, as a careful client sends it.
        let attrChars = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~")
        let encoded = name.addingPercentEncoding(withAllowedCharacters: attrChars) ?? name
        return try await request(
            .POST, "/v1/rooms/\(room)/attachments",
            headers: [("Content-Disposition", "attachment; filename*=UTF-8''\(encoded)")] + headers,
            body: .bytes(ByteBuffer(bytes: bytes)), replayable: true)
    }

    /// Streams a download, hashing as it goes, so a 50 MiB body is never held whole.
    func downloadDigest(_ path: String, headers: [(String, String)] = []) async throws -> (Int, HTTPHeaders, ContentHash, Int) {
        var request = HTTPClientRequest(url: base + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        var hasher = SHA256()
        var count = 0
        for try await chunk in response.body {
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            count += chunk.readableBytes
        }
        return (Int(response.status.code), response.headers, ContentHash(bytes: hasher.finalize())!, count)
    }
}

func sha256(_ bytes: [UInt8]) -> ContentHash { ContentHash(bytes: SHA256.hash(data: bytes))! }


/// A started tackd with a client (carol), a freelancer in her room (fred) and an outsider (mallory).
struct World {
    let tackd: Tackd
    let carol: API
    let fred: API
    let mallory: API
    let room: String

    /// `config` becomes the storage's tackd.json, read by every tackd command.
    static func make(_ extra: [String] = [], config: [String: String] = [:]) async throws -> World {
        let tackd = try Tackd()
        if !config.isEmpty {
            let data = try JSONSerialization.data(withJSONObject: config)
            try data.write(to: URL(fileURLWithPath: "\(tackd.storage)/tackd.json"))
        }
        let carolToken = try await tackd.addUser("carol", role: "client")
        let fredToken = try await tackd.addUser("fred", role: "freelancer")
        let malloryToken = try await tackd.addUser("mallory", role: "freelancer")
        try await tackd.start(extra)
        let carol = API(base: tackd.base, token: carolToken)
        let created = try await carol.json(.POST, "/v1/rooms", ["name": "Room for Project A", "members": ["fred"]])
        guard created.status == 201, let room = created.json["id"] as? String else {
            throw HarnessError("could not create a room: \(created.status) \(created.text)")
        }
        return World(tackd: tackd, carol: carol, fred: API(base: tackd.base, token: fredToken),
                     mallory: API(base: tackd.base, token: malloryToken), room: room)
    }
}
