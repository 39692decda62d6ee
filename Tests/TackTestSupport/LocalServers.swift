import Foundation
import Hummingbird
import HummingbirdTLS
import NIOCore
import Synchronization

/// Deterministic pseudo-random bytes, so failures reproduce.
public func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    // Words stored straight into the array: appending eight bytes at a time through generic slices ran at tens of
    // MB/s in a debug build, and tests that made large bodies held the cooperative pool's two threads for seconds.
    guard count > 0 else { return [] }
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        let out = UnsafeMutableRawPointer(buffer.baseAddress!)
        var offset = 0
        while offset < count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var word = state.bigEndian
            let length = min(8, count - offset)
            out.advanced(by: offset).copyMemory(from: &word, byteCount: length)
            offset += length
        }
        initialized = count
    }
}

/// A failure of the test scaffolding itself, with what went wrong.
public struct SupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A real Hummingbird server on 127.0.0.1 (a free port), stopped when this value goes away.
public final class LocalHTTPServer: Sendable {
    public let port: Int
    private let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    deinit { task.cancel() }

    /// Serves `router`, over https when `tls` is given (see `TestCertificates`).
    public static func start(_ router: Router<BasicRequestContext>, tls: TLSConfiguration? = nil) async throws -> LocalHTTPServer {
        let (ports, announce) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                announce.yield(channel.localAddress?.port ?? 0)
                announce.finish()
            })
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw SupportError("the local server did not start") }
        return LocalHTTPServer(port: port, task: task)
    }
}

/// A loopback port that refuses every connection and stays reserved while this lives: a socket bound without
/// listening. A listener opened and closed instead leaves the port free for another test's server to take.
public final class RefusingPort: Sendable {
    public let port: Int
    private let fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw SupportError("could not bind a port on 127.0.0.1") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(fd) }
}

/// A bare TCP listener that counts connections and answers each with fixed bytes (or nothing) and closes:
/// proof that a refused fetch never connected, and a way to send responses no HTTP library would.
public final class RawListener: Sendable {
    public let port: Int
    private let fd: Int32
    private let state = Mutex<(connections: Int, stopped: Bool)>((0, false))
    private let reply: [UInt8]?

    public init(address: String = "127.0.0.1", reply: [UInt8]? = nil) throws {
        self.reply = reply
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(address)
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw SupportError("could not listen on \(address)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
        // Weak between turns, so the listener (and its socket) goes when the test lets go of it.
        let thread = Thread { [weak self] in
            while let listener = self, listener.serveOnce() {}
        }
        thread.start()
    }

    deinit {
        state.withLock { $0.stopped = true }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    public var connections: Int { state.withLock { $0.connections } }

    /// Waits up to 100 ms for one connection and answers it; false once the listener is closed.
    private func serveOnce() -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, 100)
        if state.withLock({ $0.stopped }) { return false }
        guard ready > 0 else { return true }
        let client = accept(fd, nil, nil)
        guard client >= 0 else { return false }
        state.withLock { $0.connections += 1 }
        if let reply {
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = read(client, &buffer, buffer.count)
            _ = reply.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
        }
        close(client)
        return true
    }
}
