import NIOFileSystem
import SystemPackage

/// Closing a file handle on an error path, also when the task was cancelled (a time limit, a client gone): NIO's
/// file system refuses work for a cancelled task, and a handle dropped without being closed is a fatal error in its
/// deinit, which would take the whole process down with the one request.
extension FileHandleProtocol where Self: Sendable {
    /// Closes the handle from a task of its own, which the caller's cancellation does not reach; should even that
    /// fail, takes the descriptor back and closes it directly.
    func closeEvenIfCancelled() async {
        let handle = self
        await Self.closing(handle) { try await handle.close() }
    }

    static func closing(_ handle: Self, _ close: @escaping @Sendable () async throws -> Void) async {
        do {
            try await Task { try await close() }.value
        } catch {
            if let descriptor = try? handle.detachUnsafeFileDescriptor() { try? descriptor.close() }
        }
    }
}

extension WriteFileHandle {
    /// As `closeEvenIfCancelled()`, dropping what was written: a transactionally created file never appears.
    func discardEvenIfCancelled() async {
        let handle = self
        await Self.closing(handle) { try await handle.close(makeChangesVisible: false) }
    }
}
