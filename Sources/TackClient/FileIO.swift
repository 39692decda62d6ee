import Crypto
import Foundation
import TackCore

/// Descriptor-level file work the client does in several places: whole writes (short writes and EINTR handled),
/// streaming copies and hashing in 1 MiB pieces, so no file is ever held whole in memory.
public enum FileIO {
    static let chunk = 1 << 20

    /// Writes every byte, or throws.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(POSIXFailure) {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw POSIXFailure("write") }
            offset += written
        }
    }

    /// Streams the regular file at `path` into `fd` and returns what it copied: the bytes' SHA-256 and count.
    @discardableResult
    public static func copy(_ path: String, to fd: Int32) throws(ClientError) -> (sha256: ContentHash, size: Int64) {
        try read(path) { bytes throws(ClientError) in
            do { try writeAll(fd, bytes) } catch { throw .local("cannot write a copy of \(path): \(error)") }
        }
    }

    /// The SHA-256 and size of the file at `path`.
    public static func digest(of path: String) throws(ClientError) -> (sha256: ContentHash, size: Int64) {
        try read(path) { _ throws(ClientError) in }
    }

    /// The SHA-256 and size of the file open as `fd` (read from its start; `path` is for messages only).
    public static func digest(of fd: Int32, path: String) throws(ClientError) -> (sha256: ContentHash, size: Int64) {
        try read(fd, path: path) { _ throws(ClientError) in }
    }

    private static func read(_ path: String,
                             _ each: (UnsafeRawBufferPointer) throws(ClientError) -> Void) throws(ClientError) -> (sha256: ContentHash, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .local("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw .local("\(path) is not a regular file") }
        return try read(fd, path: path, each)
    }

    /// Reads `fd` from offset 0 with pread, so its file offset is left alone.
    private static func read(_ fd: Int32, path: String,
                             _ each: (UnsafeRawBufferPointer) throws(ClientError) -> Void) throws(ClientError) -> (sha256: ContentHash, size: Int64) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        var size: Int64 = 0
        while true {
            let count = pread(fd, buffer.baseAddress, chunk, off_t(size))
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .local("cannot read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: piece)
            try each(piece)
            size += Int64(count)
        }
        return (ContentHash(bytes: hasher.finalize())!, size)
    }
}

/// Whole-file writes that are never seen half done: a temporary file in the same folder, fsynced, renamed.
enum AtomicFile {
    static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let temporary = "\(path).tmp-\(getpid())"
        // Created afresh, never through a symlink: the file may hold a token. (A leftover of a crashed process with
        // this pid goes first.)
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw POSIXFailure("open \(temporary)") }
        do {
            try data.withUnsafeBytes { try FileIO.writeAll(fd, $0) }
            guard fchmod(fd, mode) == 0, fsync(fd) == 0 else { throw POSIXFailure("sync \(temporary)") }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw POSIXFailure("rename \(temporary)")
        }
        syncDirectory(of: path)
    }

    static func syncDirectory(of path: String) {
        let fd = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

/// A failed system call, with errno's text.
struct POSIXFailure: Error, CustomStringConvertible {
    let description: String
    init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
}
