import NIOCore
import Synchronization
import TackCore
import TackStorage

/// Rendered pages of rooms' attachment listings, by room, size and cursor, bounded in bytes: a room's members
/// refreshing its gallery all get the same bytes without a query or an encoding each.
///
/// Access is checked before a page is asked for, so one room's pages are the same for every member. A page is
/// forgotten when an attachment of its room is added, removed or changed, or when what is known about one of its
/// files (image size, thumbnail state) changes: the catalog publishes each of these.
final class PageCache: Sendable {
    struct Key: Hashable, Sendable {
        let room: RoomID
        let limit: Int
        let cursor: PageCursor?
    }

    struct Entry: Sendable {
        let body: ByteBuffer
        /// The files its items show, so a change to one finds the pages that show it.
        let files: Set<ContentHash>
    }

    private struct State {
        /// Bumped by every change: a page rendered from rows read before it must not be kept.
        var generation: UInt64 = 0
        var pages: BoundedCache<Key, Entry>
    }

    private let state: Mutex<State>

    init(capacityBytes: Int64, changes: CatalogChanges) {
        state = Mutex(State(pages: BoundedCache(capacity: Int(clamping: capacityBytes), cost: { $0.body.readableBytes })))
        changes.subscribe { [weak self] change in self?.forget(change) }
    }

    private func forget(_ change: CatalogChange) {
        guard change.changesCachedRows else { return }
        state.withLock { state in
            state.generation &+= 1
            switch change {
            case .attachment(_, let room): state.pages.removeAll { key, _ in key.room == room }
            case .blob(let hash): state.pages.removeAll { _, entry in entry.files.contains(hash) }
            case .everything: state.pages.removeAll()
            case .user, .room, .events, .linkKeys: break
            }
        }
    }

    /// The page's bytes, rendered by `render` when they are not held.
    func page(_ key: Key, render: () async throws -> Entry) async throws -> ByteBuffer {
        let (held, generation) = state.withLock { state in (state.pages.value(for: key), state.generation) }
        if let held { return held.body }
        let entry = try await render()
        state.withLock { state in
            if state.generation == generation { state.pages.insert(entry, for: key) }
        }
        return entry.body
    }

    /// Bytes held now.
    var heldBytes: Int { state.withLock { $0.pages.totalCost } }
}
