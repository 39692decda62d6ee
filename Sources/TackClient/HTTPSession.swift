import CCurlShim
import Foundation

/// One HTTP request for libcurl to carry out.
public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case none
        case bytes([UInt8])
        /// Streamed from disk, never read whole into memory.
        case file(path: String, size: Int64)
        /// `length` bytes of a file from `offset` (the rest of a resumable upload), streamed from disk.
        case fileRange(path: String, offset: Int64, length: Int64)
    }

    /// Where the response body goes. A non-2xx body always goes to memory, so an error page never lands in a file.
    public enum Sink: Sendable {
        case memory(limit: Int)
        /// Written to the descriptor. With `resumingAt` > 0 the request asked for a Range: a 200 answer (the whole
        /// file after all) truncates the descriptor before the first byte is written.
        case descriptor(Int32, resumingAt: Int64 = 0)
        /// Handed to `receive` as it arrives, for answers that never end (a live event stream); `receive` returns
        /// false to stop. Such a transfer has no stall limit: an idle stream is quiet, not stuck.
        case stream(@Sendable ([UInt8]) -> Bool)
    }

    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Body
    public var sink: Sink

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: Body = .none,
                sink: Sink = .memory(limit: 8 << 20)) {
        self.method = method; self.url = url; self.headers = headers; self.body = body; self.sink = sink
    }
}

/// A response: the status, its headers, and the body when it went to memory.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// The final response's header fields, in order, names as sent.
    public var headers: [(String, String)] = []

    /// The first value of the header `name` (names compare case-insensitively).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// A transfer that did not produce an HTTP response.
public enum TransferError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The network or server failed (refused, reset, timed out, TLS): worth retrying.
    case network(String)
    /// The request could not start: a bad URL, an unreadable file.
    case local(String)

    public var description: String {
        switch self {
        case .network(let text), .local(let text): return text
        }
    }
}

/// Timeouts and rates for transfers; every one has a default and can be set.
public struct TransferLimits: Sendable, Equatable {
    public var connectTimeoutSeconds = 10
    /// A transfer slower than 1 byte/s for this long is abandoned.
    public var stallSeconds = 30
    /// 0: no cap. Handy on metered links, and for tests that need a slow upload.
    public var maxSendBytesPerSecond: Int64 = 0

    public init() {}
}

/// Carries out requests with libcurl: TLS verification on, the usual `*_proxy` variables honoured (libcurl reads them),
/// redirects not followed (the API never redirects, so one would be a misconfiguration worth seeing).
public struct HTTPSession: Sendable {
    public var limits: TransferLimits

    public init(limits: TransferLimits = TransferLimits()) {
        self.limits = limits
    }

    /// Blocks until the transfer ends. `progress` gets (bytes done, bytes expected) for the upload, or the download
    /// when there is no upload body.
    public func perform(_ request: HTTPRequest, progress: ((Int64, Int64) -> Void)? = nil) throws(TransferError) -> HTTPResponse {
        var loadError = [CChar](repeating: 0, count: 256)
        guard tack_curl_load(&loadError, loadError.count) == 0 else {
            throw .local(String(decoding: loadError.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        guard let handle = tack_curl_easy_init() else { throw .local("libcurl could not start a transfer") }
        defer { tack_curl_easy_cleanup(handle) }
        let context = TransferContext(handle: handle, sink: request.sink, progress: progress)
        let opaque = Unmanaged.passUnretained(context).toOpaque()
        let errors = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errors.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errors.deallocate() }
        var list: UnsafeMutablePointer<curl_slist>?
        defer { tack_curl_slist_free_all(list) }
        var file: UnsafeMutablePointer<FILE>?
        defer { if let file { fclose(file) } }

        _ = tack_curl_setopt_str(handle, CURLOPT_URL, request.url)
        _ = tack_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errors)
        _ = tack_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = tack_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, limits.connectTimeoutSeconds)
        if case .stream = request.sink {
            // The kernel notices a dead peer instead: probes after a minute of silence.
            _ = tack_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
            _ = tack_curl_setopt_long(handle, CURLOPT_TCP_KEEPIDLE, 60)
        } else {
            _ = tack_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
            _ = tack_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, limits.stallSeconds)
        }
        _ = tack_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = tack_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        _ = tack_curl_setopt_str(handle, CURLOPT_USERAGENT, "tack/1")
        _ = tack_curl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        // Plain http is only ever spoken to this machine (ServerURL.allowsToken): never through a proxy, where the
        // token would cross the network in clear.
        if request.url.lowercased().hasPrefix("http:") { _ = tack_curl_setopt_str(handle, CURLOPT_NOPROXY, "*") }
        if limits.maxSendBytesPerSecond > 0 {
            _ = tack_curl_setopt_off(handle, CURLOPT_MAX_SEND_SPEED_LARGE, Int(limits.maxSendBytesPerSecond))
        }
        // Hummingbird never answers 100 Continue; waiting for it would stall every upload by a second.
        for header in request.headers.map({ "\($0.0): \($0.1)" }) + ["Expect:"] {
            list = tack_curl_slist_append(list, header)
        }
        _ = tack_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, list)

        // libcurl picks GET without a body and POST with one; any other method is named explicitly.
        var implied = "GET"
        switch request.body {
        case .none:
            break
        case .bytes(let bytes):
            implied = "POST"
            _ = tack_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, bytes.count)
            _ = bytes.withUnsafeBytes { tack_curl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) }
        case .file(let path, let size):
            file = try Self.open(path, at: 0)
            implied = "POST"
            _ = tack_curl_setopt_long(handle, CURLOPT_POST, 1)
            _ = tack_curl_setopt_ptr(handle, CURLOPT_READDATA, file)
            _ = tack_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, Int(size))
        case .fileRange(let path, let offset, let length):
            // libcurl reads exactly POSTFIELDSIZE bytes, from where the stream stands.
            file = try Self.open(path, at: offset)
            implied = "POST"
            _ = tack_curl_setopt_long(handle, CURLOPT_POST, 1)
            _ = tack_curl_setopt_ptr(handle, CURLOPT_READDATA, file)
            _ = tack_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, Int(length))
        }
        if request.method != implied { _ = tack_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method) }

        _ = tack_curl_setopt_write(handle) { data, size, count, user in
            let context = Unmanaged<TransferContext>.fromOpaque(user!).takeUnretainedValue()
            return context.receive(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }
        _ = tack_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, opaque)
        _ = tack_curl_setopt_header(handle) { data, size, count, user in
            let context = Unmanaged<TransferContext>.fromOpaque(user!).takeUnretainedValue()
            context.header(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }
        _ = tack_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, opaque)
        if progress != nil {
            _ = tack_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            _ = tack_curl_setopt_xferinfo(handle) { user, downloadTotal, downloadNow, uploadTotal, uploadNow in
                let context = Unmanaged<TransferContext>.fromOpaque(user!).takeUnretainedValue()
                if uploadTotal > 0 {
                    context.progress?(Int64(uploadNow), Int64(uploadTotal))
                } else if downloadTotal > 0 || downloadNow > 0 {
                    context.progress?(Int64(downloadNow), Int64(downloadTotal))
                }
                return 0
            }
            _ = tack_curl_setopt_ptr(handle, CURLOPT_XFERINFODATA, opaque)
        }

        let code = tack_curl_easy_perform(handle)
        if let failure = context.sinkFailure { throw .local(failure) }
        guard code == CURLE_OK || (code == CURLE_WRITE_ERROR && context.stopped) else {
            let detail = String(cString: errors)
            let text = detail.isEmpty ? String(cString: tack_curl_easy_strerror(code)) : detail
            switch code {
            case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_READ_ERROR:
                throw .local("\(request.url): \(text)")
            default:
                throw .network(text)
            }
        }
        var status = 0
        _ = tack_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, body: context.memory, headers: context.headers)
    }

    private static func open(_ path: String, at offset: Int64) throws(TransferError) -> UnsafeMutablePointer<FILE> {
        guard let opened = fopen(path, "rb") else {
            throw .local("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard offset == 0 || fseeko(opened, off_t(offset), SEEK_SET) == 0 else {
            fclose(opened)
            throw .local("cannot read \(path) from byte \(offset): \(String(cString: strerror(errno)))")
        }
        return opened
    }
}

/// What libcurl's C callbacks reach through their user pointer; it lives for one `perform` on one thread.
private final class TransferContext {
    let handle: UnsafeMutableRawPointer
    let sink: HTTPRequest.Sink
    let progress: ((Int64, Int64) -> Void)?
    var memory: [UInt8] = []
    var headers: [(String, String)] = []
    /// The response's status, read once with its first body bytes (the body follows the final status line).
    private var status: Int?
    var sinkFailure: String?
    var truncated = false
    /// A `.stream` sink asked to stop: the transfer ends without an error.
    var stopped = false

    init(handle: UnsafeMutableRawPointer, sink: HTTPRequest.Sink, progress: ((Int64, Int64) -> Void)?) {
        self.handle = handle; self.sink = sink; self.progress = progress
    }

    /// One header line; a status line (of a 100 Continue, say, before the final answer) starts the fields afresh.
    func header(_ line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("HTTP/") {
            headers = []
        } else if let colon = text.firstIndex(of: ":") {
            headers.append((String(text[..<colon]), text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
    }

    func receive(_ chunk: UnsafeRawBufferPointer) -> Bool {
        let status = self.status ?? {
            var code = 0
            _ = tack_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
            self.status = code
            return code
        }()
        switch sink {
        case .stream(let receive) where (200..<300).contains(status):
            if receive(Array(chunk)) { return true }
            stopped = true
            return false
        case .descriptor(let fd, let resumingAt) where (200..<300).contains(status):
            if resumingAt > 0, status == 200, !truncated {
                truncated = true
                guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
                    sinkFailure = "cannot restart the download: \(String(cString: strerror(errno)))"
                    return false
                }
            }
            do {
                try FileIO.writeAll(fd, chunk)
                return true
            } catch {
                sinkFailure = "cannot write the download: \(error)"
                return false
            }
        case .memory(let limit) where memory.count + chunk.count > limit:
            sinkFailure = "the server's answer is larger than \(limit) bytes"
            return false
        default:
            // Error bodies are small JSON; keep at most 64 KiB of one.
            if case .descriptor = sink, memory.count > 64 << 10 { return true }
            memory.append(contentsOf: chunk)
            return true
        }
    }
}
