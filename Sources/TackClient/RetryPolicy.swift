/// When to try a request again and how long to wait first: exponential backoff with jitter, on network failures
/// and 5xx answers only. A 4xx answer is the server's considered refusal; asking again would only repeat it.
public struct RetryPolicy: Sendable, Equatable {
    public var attempts = 4
    public var baseDelaySeconds = 0.5
    public var maxDelaySeconds = 8.0

    public init(attempts: Int = 4, baseDelaySeconds: Double = 0.5, maxDelaySeconds: Double = 8.0) {
        self.attempts = max(1, attempts); self.baseDelaySeconds = baseDelaySeconds; self.maxDelaySeconds = maxDelaySeconds
    }

    public enum Outcome: Sendable, Equatable {
        case networkFailure
        case status(Int)
    }

    public func shouldRetry(_ outcome: Outcome) -> Bool {
        switch outcome {
        case .networkFailure: return true
        case .status(let status): return status >= 500
        }
    }

    /// The wait before attempt `attempt + 1`, given a random number in 0..<1: between half and all of the
    /// doubled delay, so many clients that failed together do not come back together.
    public func delay(after attempt: Int, random: Double) -> Double {
        let doubled = baseDelaySeconds * Double(1 << min(max(attempt - 1, 0), 20))
        return min(maxDelaySeconds, doubled) * (0.5 + 0.5 * random)
    }
}
