import Foundation
import Testing
@testable import TackStorage

@Suite struct RetryBackoffTests {
    @Test func doublesUpToTheCapThenGivesUp() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let backoff = RetryBackoff(attempts: 12, maximum: .seconds(600))
        let delays = (1...11).map { backoff.retry(after: $0, at: now)!.timeIntervalSince(now) }
        #expect(delays == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600])
        #expect(backoff.retry(after: 12, at: now) == nil, "out of attempts")
        #expect(RetryBackoff(attempts: 1).retry(after: 1, at: now) == nil, "one attempt: no retry")
    }
}
