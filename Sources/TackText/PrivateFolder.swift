import Foundation
import Synchronization

/// A folder only this process uses, made with `mkdtemp` beside a path the caller chose: what a worker's renderers
/// write there is never confused with anything else in that folder, and goes when the caller removes it.
public enum PrivateFolder {
    /// Makes `PREFIX-XXXXXX` (mode 0700) in the folder that holds `path` (the working directory for a bare name),
    /// and returns its path.
    public static func make(beside path: String, prefix: String) throws -> String {
        let parent = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        var template = Array((parent + "/\(prefix)-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ProgramTextReader.ReaderUnavailable(description: "cannot make a folder beside \(path): \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// Writes `bytes` to a file in `folder` (one `make` returned) and renames it onto `path`, in the same file
    /// system: whoever reads `path` finds nothing or all of it, never half.
    public static func publish(_ bytes: [UInt8], in folder: String, as path: String) throws {
        let staged = folder + "/published"
        let descriptor = open(staged, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create \(staged)") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            guard count > 0 || (count < 0 && errno == EINTR) else {
                let error = failure("cannot write \(staged)")
                close(descriptor)
                throw error
            }
            written += max(count, 0)
        }
        guard close(descriptor) == 0, rename(staged, path) == 0 else { throw failure("cannot write \(path)") }
    }

    private static func failure(_ what: String) -> ProgramTextReader.ReaderUnavailable {
        ProgramTextReader.ReaderUnavailable(description: "\(what): \(String(cString: strerror(errno)))")
    }
}

/// Runs `side` on another thread while `main` runs on this one, and returns what `side` gave once both have ended
/// (also when `main` throws, so no program `side` started outlives the call).
public func alongside<Side: Sendable>(_ side: @escaping @Sendable () -> Side, _ main: () throws -> Void) throws -> Side {
    let result = Mutex<Side?>(nil)
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        let value = side()
        result.withLock { $0 = value }
        done.signal()
    }
    do {
        try main()
    } catch {
        done.wait()
        throw error
    }
    done.wait()
    return result.withLock { $0! }
}
