/// Lets one task at a time through, in arrival order, across suspension points.
///
/// SQLite transactions on a shared connection must not interleave with other tasks' statements; an actor
/// alone would not do, because actors are reentrant at every `await`.
public actor SerialGate {
    private var busy = false

    public init() {}
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public func enter() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func leave() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    public nonisolated func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await enter()
        do {
            let result = try await body()
            await leave()
            return result
        } catch {
            await leave()
            throw error
        }
    }
}
