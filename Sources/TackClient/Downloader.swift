import Foundation

/// Downloads an attachment into `<target>.part`, resuming with `Range`/`If-Range` after an interruption, checks the
/// SHA-256, and only then renames it to `target`: a half-done download never looks like a finished file.
public struct Downloader: Sendable {
    public let api: TackAPI

    public init(api: TackAPI) { self.api = api }

    public func download(_ meta: AttachmentSummary, to target: String,
                         progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws(ClientError) -> String {
        let part = target + ".part"
        let fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .local("cannot write \(part): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var single = api
        single.retry = RetryPolicy(attempts: 1)
        var attempt = 1
        while true {
            // Measured again before every attempt: a failed attempt may have added bytes.
            var offset = Int64(lseek(fd, 0, SEEK_END))
            if offset > meta.size {
                guard ftruncate(fd, 0) == 0 else { throw .local("cannot reset \(part)") }
                offset = 0
            }
            if offset == meta.size && meta.size > 0 { break }
            var headers: [(String, String)] = []
            if offset > 0 {
                headers = [("Range", "bytes=\(offset)-"), ("If-Range", "\"\(meta.sha256)\"")]
            }
            let request = HTTPRequest(url: api.contentURL(of: meta.id), headers: headers,
                                      sink: .descriptor(fd, resumingAt: offset))
            let base = offset
            do {
                _ = try single.send(request, progress: progress.map { report in { done, total in report(base + done, meta.size) } })
                break
            } catch .refused(let status, _, _) where status == 416 {
                guard ftruncate(fd, 0) == 0 else { throw .local("cannot reset \(part)") }
            } catch .unreachable(let text) {
                guard attempt < api.retry.attempts else {
                    throw .unreachable("\(text); run tack get again to resume from \(ProgressMeter.bytes(Int64(lseek(fd, 0, SEEK_END))))")
                }
                let wait = api.retry.delay(after: attempt, random: Double.random(in: 0..<1))
                api.log("\(text); resuming in \(String(format: "%.1f", wait)) s")
                Thread.sleep(forTimeInterval: wait)
            } catch {
                throw error
            }
            attempt += 1
            guard attempt <= api.retry.attempts + 1 else { throw .unreachable("the download did not complete") }
        }
        guard fsync(fd) == 0 else { throw .local("cannot write \(part): \(String(cString: strerror(errno)))") }
        let (hash, size) = try FileIO.digest(of: part)
        guard hash.hex == meta.sha256, size == meta.size else {
            unlink(part)
            throw .unreachable("the download of \(meta.name) arrived damaged (SHA-256 differs); run tack get again")
        }
        guard rename(part, target) == 0 else { throw .local("cannot rename \(part) to \(target): \(String(cString: strerror(errno)))") }
        return target
    }

    /// An attachment's name as a file name here: its last path part, never hidden, never empty.
    public static func safeName(_ name: String) -> String {
        var base = name.split(separator: "/").last.map(String.init) ?? ""
        while base.hasPrefix(".") { base.removeFirst() }
        return base.isEmpty ? "attachment" : base
    }
}
