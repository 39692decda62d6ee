import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TackCore
import TackStorage

/// Runs the durable job queue's work in this process: claims due jobs under a lease, runs them one at a time,
/// finishes them or puts them back with backoff. On a graceful shutdown it lets the running job finish and hands
/// its leases back, so another instance (or this one, restarted) takes the rest at once; a killed instance's jobs
/// are taken again when their lease lapses.
public struct JobRunner: Service {
    let catalog: any Catalog
    let thumbnails: ThumbnailService
    let texts: TextService
    let lease: Duration
    let backoff: RetryBackoff
    let logger: Logger
    /// This process's name on its leases: host, pid and a random part, so a restarted process never mistakes its
    /// predecessor's leases for its own.
    let owner = "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(UInt32.random(in: 0...UInt32.max))"
    /// How often the queue is looked at without a nudge: for jobs queued by another process, and retries coming due.
    static let poll: Duration = .seconds(1)

    public func run() async throws {
        let stopping = Mutex(false)
        await withGracefulShutdownHandler {
            while !stopping.withLock({ $0 }) && !Task.isCancelled {
                let claimed: [Job]
                do {
                    claimed = try await catalog.claimJobs(
                        JobKind.allCases, owner: owner, limit: 1, lease: lease, maxAttempts: backoff.attempts, at: Date())
                } catch {
                    logger.warning("could not claim jobs: \(error)")
                    claimed = []
                }
                guard let job = claimed.first else {
                    await thumbnails.jobs.wait(timeout: Self.poll)
                    continue
                }
                Failpoint.hit("job-claimed")
                await execute(job)
            }
        } onGracefulShutdown: {
            stopping.withLock { $0 = true }
            thumbnails.jobs.poke()
        }
        do {
            try await catalog.releaseJobs(owner: owner)
        } catch {
            logger.warning("could not hand back job leases (they lapse by themselves): \(error)")
        }
    }

    func execute(_ job: Job) async {
        do {
            try await perform(job)
            _ = try await catalog.finishJob(job.id, owner: owner)
            TackMetrics.job(job.kind.rawValue, "done")
        } catch {
            let retryAt = backoff.retry(after: job.attempts, at: Date())
            TackMetrics.job(job.kind.rawValue, retryAt == nil ? "failed" : "retried")
            let reason = (error as? TackError)?.message ?? "\(error)"
            logger.warning("\(job.kind.rawValue) job for \(job.subject) failed (attempt \(job.attempts)): \(reason)")
            try? await catalog.failJob(job.id, owner: owner, error: reason, retryAt: retryAt)
        }
    }

    func perform(_ job: Job) async throws {
        switch job.kind {
        case .thumbnail:
            // Deleted since it was queued: nothing to do.
            guard let id = AttachmentID(validating: job.subject), let attachment = try await catalog.attachment(id) else { return }
            do {
                _ = try await thumbnails.makeDefault(of: attachment)
                // The thumbnail may have found that an image looks like text: then its text is read, after it.
                if attachment.text == nil, attachment.textFormat == nil, let thumbnailed = try await catalog.attachment(id) {
                    await texts.prepare(thumbnailed)
                }
            } catch let error as TackError where [ErrorCode.thumbnailFailed.rawValue, ErrorCode.notAnImage.rawValue].contains(error.code) {
                // The image itself is at fault: recorded with the attachment, and no retry would change it.
                return
            }
        case .text:
            guard let id = AttachmentID(validating: job.subject), let attachment = try await catalog.attachment(id) else { return }
            try await texts.read(attachment)
        }
    }
}

/// Wakes the job runner when this process queues a job, instead of leaving it to the next poll.
final class JobSignal: Sendable {
    private let state = Mutex<(poked: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func poke() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.poked = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next poke (or at once if one came since the last wait), or after `timeout`. One waiter at a time.
    func wait(timeout: Duration) async {
        let timer = Task {
            do {
                try await Task.sleep(for: timeout)
                self.poke()
            } catch {
                // Cancelled: a poke came first, and this timer must not leave one behind for the next wait.
            }
        }
        defer { timer.cancel() }
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.poked {
                    state.poked = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}
