import Testing
@testable import TackCore

@Suite struct TokenBucketTests {
    @Test func allowsABurstThenOnePerInterval() {
        var bucket = TokenBucket(capacity: 3, perSecond: 0.5, now: 100)
        #expect(bucket.take(at: 100) == nil)
        #expect(bucket.take(at: 100) == nil)
        #expect(bucket.take(at: 100) == nil)
        #expect(bucket.take(at: 100) == 2, "the next token comes after 1 / 0.5 s")
        #expect(bucket.take(at: 101) == 1)
        #expect(bucket.take(at: 102) == nil)
        #expect(bucket.take(at: 102) == 2)
    }

    @Test func neverHoldsMoreThanItsCapacityAndIgnoresTimeGoingBack() {
        var bucket = TokenBucket(capacity: 2, perSecond: 1, now: 0)
        #expect(bucket.isFull(at: 0))
        _ = bucket.take(at: 0)
        #expect(!bucket.isFull(at: 0.5))
        #expect(bucket.isFull(at: 1))
        #expect(bucket.take(at: 1000) == nil)
        #expect(bucket.take(at: 1000) == nil)
        #expect(bucket.take(at: 1000) != nil, "an hour idle refills two tokens, not thousands")
        #expect(bucket.take(at: 10) != nil, "an earlier time adds nothing")
    }

    @Test func refusedTooManyRequestsSayWhenToRetry() {
        let error = TackError.rateLimited("uploads", retryAfter: 0.2)
        #expect(error.code == "rate_limited")
        #expect(error.category == .rateLimited)
        #expect(error.retryAfterSeconds == 1, "never 0: a client would retry at once")
        #expect(TackError.rateLimited("uploads", retryAfter: 19.01).retryAfterSeconds == 20)
    }

    @Test func everyErrorCodeIsDefinedOnce() {
        let codes = ErrorCode.all.map(\.rawValue)
        #expect(Set(codes).count == codes.count, "a code defined twice: \(codes.sorted())")
        #expect(codes.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "_" } })
    }
}
