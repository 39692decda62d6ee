import Foundation
import Synchronization

/// A folder only this process uses, made with `mkdtemp` beside a path the caller chose: what a worker's renderers
/// write there is never confused with anything else in that folder, and goes when the caller removes it.
public enum PrivateFolder {
    /// Makes `PREFIX-XXXXXX` (mode 0700) in the folder that holds `path` (the working directory for a bare name),
    /// and returns its path.
    public static func make(beside path: String, prefix: String) throws -> String {
        let parent = (path as NSString).deletingLastPathComponent
        var template = Array(((parent.isEmpty ? "." : parent) + "/\(prefix)-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ProgramTextReader.ReaderUnavailable(description: "cannot make a folder beside \(path): \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
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
