import Dispatch
import Foundation
import Testing

/// A trait that runs each test of a suite on a thread of its own instead of Swift's cooperative pool.
///
/// The testing library calls a synchronous test straight from the pool, whose threads are as many as the cores
/// (two here). A synchronous test that decodes photos, waits for Xvfb or runs Pillow holds one of them for as
/// long as it runs; two of them together stall every asynchronous test in the process, whose time limits keep
/// running while their tasks wait for a thread. In the full suite that pushed a dozen server tests past their
/// limits. Suites of blocking tests carry this trait; at most one per core of them run at once, so they still share
/// the machine as they did on the pool, but the pool stays free for everything else.
///
/// A test's time limit wraps this trait's scope, so it counts the wait for a turn too (in the full suite the last
/// of these tests starts about three minutes in): suites with this trait set their limits with that in mind.
public struct OwnThread: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> OwnThread? {
        // Each test case, not the suite around it: the suite only waits for its tests.
        testCase == nil ? nil : self
    }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        await OwnThread.turns.take()
        do {
            try await withTaskExecutorPreference(DedicatedThreadExecutor()) { try await function() }
            await OwnThread.turns.give()
        } catch {
            await OwnThread.turns.give()
            throw error
        }
    }

    /// How many blocking tests run at once: one per core, as many as the pool ran.
    static let turns = Turns(width: max(1, ProcessInfo.processInfo.activeProcessorCount))
}

extension Trait where Self == OwnThread {
    /// Runs each test on a thread of its own, off the cooperative pool (see `OwnThread`).
    public static var ownThread: OwnThread { OwnThread() }
}

/// Runs each job handed to it on a thread of dispatch's overcommitting pool, which adds a thread whenever all of
/// its threads are blocked, unlike the cooperative pool. One serial queue per job, not per test: a test's child
/// tasks inherit the executor, and one of them blocking must not hold its siblings back. (A task's jobs still run
/// one at a time: the runtime enqueues a task's next job only once its last one has suspended.)
final class DedicatedThreadExecutor: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        DispatchQueue(label: "tack.tests.own-thread").async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A counting semaphore for tasks: waiting suspends the task instead of blocking its thread.
actor Turns {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { free = width }

    func take() async {
        if free > 0 { free -= 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func give() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
