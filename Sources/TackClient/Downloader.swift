import Foundation

/// Downloads an attachment into `<target>.part`, resuming with `Range`/`If-Range` after an interruption, checks the
/// SHA-256, and only then moves it to `target`: a half-done download never looks like a finished file.
///
/// What it promises about the files around it:
/// - An existing file is never replaced unless `replacing` is set: the name becomes `name (1).ext`, `name (2).ext`,
///   … (`DownloadName.unused`), and the final move is a hard link that fails rather than replace a file created
///   meanwhile, after which the next free name is taken.
/// - A new `.part` is created exclusively (`O_EXCL`, so never through a symlink). An existing one is resumed only when
///   it is a regular file this user owns with a single link, opened without following a symlink, and while no other
///   tack holds its lock.
/// - Only its own `.part` is ever deleted or moved: the path must still name the file it wrote.
public struct Downloader: Sendable {
    public let api: TackAPI
    public init(api: TackAPI) { self.api = api }

    /// Returns the path the file was saved as: `target`, or the numbered name that was free.
    public func download(_ meta: AttachmentSummary, to target: String, replacing: Bool = false,
                         progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws(ClientError) -> String {
        let chosen = replacing ? target : try Self.unused(target)
        let part = chosen + ".part"
        let fd = try Self.openPart(part)
        defer { close(fd) }
        try fill(fd, part: part, with: meta, progress: progress)
        guard fsync(fd) == 0 else { throw .local("cannot write \(part): \(String(cString: strerror(errno)))") }
        let (hash, size) = try FileIO.digest(of: fd, path: part)
        guard hash.hex == meta.sha256, size == meta.size else {
            Self.removeOwn(part, fd: fd)
            throw .unreachable("the download of \(DownloadName.shown(meta.name)) arrived damaged (SHA-256 differs); run tack get again")
        }
        guard Self.isOwn(part, fd: fd) else { throw .local("\(part) was replaced during the download; nothing saved") }
        return try Self.publish(part, to: chosen, replacing: replacing)
    }

    /// Appends the missing bytes to `fd`, resuming from its end; retries network failures per the API's policy.
    private func fill(_ fd: Int32, part: String, with meta: AttachmentSummary,
                      progress: (@Sendable (Int64, Int64) -> Void)?) throws(ClientError) {
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
            if offset == meta.size && meta.size > 0 { return }
            var headers: [(String, String)] = []
            if offset > 0 {
                headers = [("Range", "bytes=\(offset)-"), ("If-Range", "\"\(meta.sha256)\"")]
            }
            let request = HTTPRequest(url: api.contentURL(of: meta.id), headers: headers,
                                      sink: .descriptor(fd, resumingAt: offset))
            let base = offset
            do {
                _ = try single.send(request, progress: progress.map { report in { done, total in report(base + done, meta.size) } })
                return
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
    }

    /// `target`, or the first `target (n)` whose name nothing (not even a dangling symlink) holds.
    static func unused(_ target: String) throws(ClientError) -> String {
        let slash = target.lastIndex(of: "/")
        let directory = slash.map { String(target[...$0]) } ?? ""
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        guard !name.isEmpty, let free = DownloadName.unused(name, isTaken: { exists(directory + $0) }) else {
            throw .local("no free name like \(target) (tack get --force replaces it)")
        }
        return directory + free
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 || errno != ENOENT
    }

    /// A new `.part` made exclusively, or an existing one that is safe to resume; locked against a second tack.
    static func openPart(_ part: String) throws(ClientError) -> Int32 {
        var fd = open(part, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if fd < 0 && errno == EEXIST {
            // O_NONBLOCK: opening a FIFO planted under this name must not hang; the check below refuses it.
            fd = open(part, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { throw .local("cannot resume \(part): \(String(cString: strerror(errno)))") }
            var info = stat()
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid(), info.st_nlink == 1 else {
                close(fd)
                throw .local("\(part) is not a partial download of yours (not a regular file you own); move it away")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        }
        guard fd >= 0 else { throw .local("cannot write \(part): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .local("another tack get is writing \(part)")
        }
        return fd
    }

    /// Whether `path` still names the file open as `fd`.
    static func isOwn(_ path: String, fd: Int32) -> Bool {
        var held = stat(), named = stat()
        return fstat(fd, &held) == 0 && lstat(path, &named) == 0 && held.st_dev == named.st_dev && held.st_ino == named.st_ino
    }

    static func removeOwn(_ path: String, fd: Int32) {
        if isOwn(path, fd: fd) { unlink(path) }
    }

    /// Moves the finished `.part` to `target`, or (not replacing) to the next free name when `target` was taken
    /// meanwhile. Returns where it went.
    static func publish(_ part: String, to target: String, replacing: Bool) throws(ClientError) -> String {
        if replacing {
            guard rename(part, target) == 0 else {
                throw .local("cannot rename \(part) to \(target): \(String(cString: strerror(errno)))")
            }
            return target
        }
        var chosen = target
        for _ in 0..<100 {
            // link() never replaces: it fails with EEXIST when the name was taken since it was chosen.
            if link(part, chosen) == 0 {
                unlink(part)
                return chosen
            }
            switch errno {
            case EEXIST:
                chosen = try unused(target)
            case EPERM, EOPNOTSUPP, EMLINK, ENOSYS:
                // No hard links here (FAT, some FUSE file systems): a checked rename, the best this file system allows.
                chosen = try unused(chosen)
                guard rename(part, chosen) == 0 else {
                    throw .local("cannot rename \(part) to \(chosen): \(String(cString: strerror(errno)))")
                }
                return chosen
            default:
                throw .local("cannot save \(part) as \(chosen): \(String(cString: strerror(errno)))")
            }
        }
        throw .local("\(target) keeps being taken; the download stays in \(part)")
    }
}
