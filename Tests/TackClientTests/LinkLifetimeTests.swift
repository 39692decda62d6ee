import Testing
@testable import TackClient

@Suite struct LinkLifetimeTests {
    @Test(arguments: [("600", 600), ("90s", 90), ("10m", 600), ("2h", 7200), ("7d", 604_800), ("1", 1)] as [(String, Int64)])
    func lifetimesAreSeconds(text: String, seconds: Int64) {
        #expect(LinkLifetime.seconds(text) == seconds)
    }

    @Test(arguments: ["", "0", "0m", "-5", "+5", "1.5h", "10 m", "10w", "h", "m10", "99999999999999999999", "9223372036854775807d"])
    func othersAreRefused(text: String) {
        #expect(LinkLifetime.seconds(text) == nil)
    }
}
