#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Eight bytes beside the catalog holding the newest change number any process wrote, so a serving process learns
/// with one `pread` per read whether another process (`tackd token revoke`) changed something, and catches up
/// before it answers: a revoked token is refused on the very next request, not after a poll.
///
/// Written inside the write transaction, under SQLite's write lock, so the number only grows; it may run ahead of
/// a commit by a moment, which only makes a reader look once more.
final class ChangeMarker: Sendable {
    private let descriptor: Int32

    /// Opens (creating) the marker at `path`; nil when it cannot, and the poll alone carries other processes' changes.
    init?(path: String) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The newest change number written; 0 when none was.
    var value: Int64 {
        var number: Int64 = 0
        let read = withUnsafeMutableBytes(of: &number) { pread(descriptor, $0.baseAddress, 8, 0) }
        return read == 8 ? Int64(littleEndian: number) : 0
    }

    func record(_ number: Int64) {
        var bytes = number.littleEndian
        _ = withUnsafeBytes(of: &bytes) { pwrite(descriptor, $0.baseAddress, 8, 0) }
    }
}
