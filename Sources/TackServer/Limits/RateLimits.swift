import Synchronization
import TackCore

/// Per-user rate limits for the expensive actions, held in memory with a bounded number of users tracked.
final class RateLimits: Sendable {
    enum Action: String, Sendable {
        case upload = "uploads"
        case link = "link fetches"
        case refresh = "refreshes"
    }

    private struct Key: Hashable {
        let user: String
        let action: Action
    }

    private let perMinute: [Action: Int]
    private let buckets = Mutex<[Key: TokenBucket]>([:])
    private let start = ContinuousClock.now
    /// Most buckets kept; past it, the full ones (users idle for a minute) are forgotten, which changes nothing.
    let maxTracked: Int

    init(settings: RateLimitSettings, maxTracked: Int = 100_000) {
        perMinute = [.upload: settings.uploadsPerMinute, .link: settings.linksPerMinute,
                     .refresh: settings.refreshesPerMinute]
        self.maxTracked = maxTracked
    }

    /// Counts one `action` for `user`, or refuses it with `rate_limited` and when to try again.
    func check(_ action: Action, for user: String) throws(TackError) {
        guard let rate = perMinute[action], rate > 0 else { return }
        let now = (ContinuousClock.now - start).seconds
        let wait: Double? = buckets.withLock { buckets in
            let key = Key(user: user, action: action)
            var bucket = buckets[key] ?? TokenBucket(capacity: Double(rate), perSecond: Double(rate) / 60, now: now)
            let wait = bucket.take(at: now)
            buckets[key] = bucket
            if buckets.count > maxTracked {
                buckets = buckets.filter { !$0.value.isFull(at: now) }
            }
            return wait
        }
        if let wait { throw .rateLimited(action.rawValue, retryAfter: wait) }
    }

    var trackedCount: Int { buckets.withLock { $0.count } }
}
