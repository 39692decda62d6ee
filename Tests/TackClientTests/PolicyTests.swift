import Testing
@testable import TackClient

@Suite struct RetryPolicyTests {
    @Test func retriesNetworkFailuresAndServerErrorsOnly() {
        let policy = RetryPolicy()
        #expect(policy.shouldRetry(.networkFailure))
        #expect(policy.shouldRetry(.status(500)))
        #expect(policy.shouldRetry(.status(503)))
        for status in [400, 401, 403, 404, 409, 413, 429] { #expect(!policy.shouldRetry(.status(status))) }
    }

    @Test func backoffDoublesWithJitterAndACap() {
        let policy = RetryPolicy(attempts: 6, baseDelaySeconds: 0.5, maxDelaySeconds: 3)
        #expect(policy.delay(after: 1, random: 0.999_999) > 0.499 && policy.delay(after: 1, random: 0.999_999) <= 0.5)
        #expect(policy.delay(after: 1, random: 0) == 0.25)
        #expect(policy.delay(after: 2, random: 0) == 0.5)
        #expect(policy.delay(after: 3, random: 0) == 1.0)
        #expect(policy.delay(after: 5, random: 0) == 1.5)
        #expect(policy.delay(after: 60, random: 0.999) <= 3)
        #expect(RetryPolicy(attempts: 0).attempts == 1)
    }
}

@Suite struct ProgressMeterTests {
    @Test func showsBytesPercentRateAndTimeLeft() {
        let line = ProgressMeter(label: "shot.png", width: 10).line(done: 5 << 20, total: 20 << 20, elapsedSeconds: 2)
        #expect(line == "shot.png [##--------] 5.0 MiB/20.0 MiB  25% 2.5 MiB/s ETA 6s")
        let done = ProgressMeter(label: "a", width: 4).line(done: 100, total: 100, elapsedSeconds: 1)
        #expect(done == "a [####] 100 B/100 B 100% 100 B/s")
        #expect(ProgressMeter(label: "b").line(done: 2048, total: 0, elapsedSeconds: 0) == "b 2.0 KiB 0 B/s")
        #expect(ProgressMeter.duration(3725) == "1h02m")
        #expect(ProgressMeter.duration(61) == "1m01s")
    }
}
