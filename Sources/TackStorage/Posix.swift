#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call, with the path it was about so the operator can act on it.
struct PosixError: Error, CustomStringConvertible {
    let call: String
    let path: String
    let code: Int32

    var description: String { "\(call)(\(path)): \(String(cString: strerror(code)))" }
}

/// The handful of blocking file-system calls the file blob store needs that NIOFileSystem does not offer
/// atomically (rename without removing first, fsync of a folder). Call them from a thread pool.
enum Posix {
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw PosixError(call: "rename", path: "\(from) -> \(to)", code: errno) }
    }

    static func unlink(_ path: String) throws {
        guard Glibc.unlink(path) == 0 else { throw PosixError(call: "unlink", path: path, code: errno) }
    }

    static func makeDirectories(_ path: String) throws {
        if exists(path) { return }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectories(String(path[..<slash]))
        }
        guard mkdir(path, 0o700) == 0 else {
            if errno == EEXIST { return }
            throw PosixError(call: "mkdir", path: path, code: errno)
        }
        // The new folder's name must survive a power cut as surely as the blob that will live in it.
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try syncDirectory(String(path[..<slash]))
        }
    }

    /// Makes a rename inside `path` durable.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw PosixError(call: "open", path: path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw PosixError(call: "fsync", path: path, code: errno) }
    }

    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw PosixError(call: "opendir", path: path, code: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func modificationTime(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func processExists(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
