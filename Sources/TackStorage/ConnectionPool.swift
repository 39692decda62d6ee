import Synchronization

/// Reader connections handed out one statement at a time, each to one holder.
///
/// Two statements running at once on one SQLite connection share the read snapshot of whichever began first, so a
/// read issued after a write committed could still see the rows before it, and a cache would keep them. Each
/// statement therefore has a connection to itself; when all are busy it waits its turn.
final class ConnectionPool<Connection: Sendable>: Sendable {
    let connections: [Connection]
    private let state: Mutex<State>

    private struct State {
        var idle: [Int]
        /// Few at a time (one per waiting request beyond the pool's size), so an array's removeFirst is fine.
        var waiting: [CheckedContinuation<Int, Never>] = []
    }

    init(_ connections: [Connection]) {
        self.connections = connections
        state = Mutex(State(idle: Array(connections.indices)))
    }

    func with<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let index = await checkOut()
        defer { checkIn(index) }
        return try await body(connections[index])
    }

    /// Runs `body` once no connection is in use, holding them all (closing the pool).
    func withAll(_ body: ([Connection]) -> Void) async {
        var held: [Int] = []
        for _ in connections { held.append(await checkOut()) }
        body(held.map { connections[$0] })
        for index in held { checkIn(index) }
    }

    private func checkOut() async -> Int {
        if let index = state.withLock({ $0.idle.popLast() }) { return index }
        return await withCheckedContinuation { continuation in
            let index: Int? = state.withLock { state in
                if let index = state.idle.popLast() { return index }
                state.waiting.append(continuation)
                return nil
            }
            if let index { continuation.resume(returning: index) }
        }
    }

    private func checkIn(_ index: Int) {
        let next = state.withLock { state -> CheckedContinuation<Int, Never>? in
            guard !state.waiting.isEmpty else {
                state.idle.append(index)
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume(returning: index)
    }
}
