import Foundation
import Testing

/// A bare HTTP/1.1 exchange over a socket, to see interim responses that HTTP client libraries hide.
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw HarnessError("connect failed: \(errno)") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    /// True when the server closes the connection (after whatever it still sends) before the read timeout.
    func readsToEnd() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    /// Reads up to the end of one response head (a blank line); empty on timeout or close.
    func readHead() -> String {
        var data: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            data.append(byte)
            if data.suffix(4) == Array("\r\n\r\n".utf8) { break }
        }
        return String(decoding: data, as: UTF8.self)
    }
}

@Suite(.timeLimit(.minutes(5))) struct ExpectContinueTests {
    /// Without credentials nobody is invited to send a body: the first answer is the refusal, not `100 Continue`.
    @Test func noCredentialsNoInvitation() async throws {
        let world = try await World.make()
        let connection = try RawConnection(port: world.tackd.port)
        connection.send(Array("""
            POST /v1/rooms/\(world.room)/attachments?name=big.bin HTTP/1.1\r
            Host: 127.0.0.1\r
            Content-Length: 300000\r
            Expect: 100-continue\r
            \r\n
            """.utf8))
        let first = connection.readHead()
        #expect(first.hasPrefix("HTTP/1.1 401"), "\(first)")
        #expect(!first.contains("100 Continue"))
    }

    @Test func largeUploadsAreInvitedAtOnce() async throws {
        let world = try await World.make(["--max-upload-bytes", "1MiB"])
        let body = pseudoRandomBytes(300_000, seed: 11)
        let connection = try RawConnection(port: world.tackd.port)
        connection.send(Array("""
            POST /v1/rooms/\(world.room)/attachments?name=big.bin HTTP/1.1\r
            Host: 127.0.0.1\r
            Authorization: Bearer \(world.carol.token!)\r
            Content-Length: \(body.count)\r
            Expect: 100-continue\r
            \r\n
            """.utf8))
        let interim = connection.readHead()
        #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim)")
        connection.send(body)
        let final = connection.readHead()
        #expect(final.hasPrefix("HTTP/1.1 201"), "\(final)")

        let tooLarge = try RawConnection(port: world.tackd.port)
        tooLarge.send(Array("""
            POST /v1/rooms/\(world.room)/attachments?name=huge.bin HTTP/1.1\r
            Host: 127.0.0.1\r
            Authorization: Bearer \(world.carol.token!)\r
            Content-Length: \(2 << 20)\r
            Expect: 100-continue\r
            \r\n
            """.utf8))
        let refused = tooLarge.readHead()
        #expect(refused.hasPrefix("HTTP/1.1 413"), "an over-limit body is refused without being invited: \(refused)")
    }
}
