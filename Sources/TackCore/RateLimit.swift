/// A token bucket: up to `capacity` actions at once, refilled at `perSecond`. Pure: the caller says what time it is.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let perSecond: Double
    public private(set) var tokens: Double
    public private(set) var updated: Double

    /// A full bucket at `now` (seconds on any monotonic clock).
    public init(capacity: Double, perSecond: Double, now: Double) {
        self.capacity = capacity
        self.perSecond = perSecond
        self.tokens = capacity
        self.updated = now
    }

    /// Takes one token: nil when there was one, or else the seconds until there will be.
    public mutating func take(at now: Double) -> Double? {
        refill(at: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return (1 - tokens) / perSecond
    }

    /// True when the bucket would be full at `now`: forgetting it then changes nothing.
    public func isFull(at now: Double) -> Bool {
        tokens + max(0, now - updated) * perSecond >= capacity
    }

    private mutating func refill(at now: Double) {
        tokens = min(capacity, tokens + max(0, now - updated) * perSecond)
        updated = max(updated, now)
    }
}

/// How often each user may do the expensive things; 0 means no limit.
public struct RateLimitSettings: Sendable, Equatable {
    public var uploadsPerMinute = 120
    public var linksPerMinute = 30
    public var refreshesPerMinute = 30

    public init() {}
}

extension Duration {
    /// The duration in seconds, fractions included.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
