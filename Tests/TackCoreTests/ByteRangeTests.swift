import Testing
@testable import TackCore

@Suite struct ByteRangeTests {
    @Test(arguments: [
        // (header, size, expected)
        ("bytes=0-0", 20, RangeDecision.partial(0...0)),
        ("bytes=19-19", 20, .partial(19...19)),
        ("bytes=-3", 20, .partial(17...19)),
        ("bytes=-30", 20, .partial(0...19)),
        ("bytes=5-", 20, .partial(5...19)),
        ("bytes=5-100", 20, .partial(5...19)),
        ("BYTES = 2-4", 20, .partial(2...4)),
        ("bytes=20-", 20, .unsatisfiable),
        ("bytes=30-40", 20, .unsatisfiable),
        ("bytes=-0", 20, .unsatisfiable),
        ("bytes=0-", 0, .unsatisfiable),
        ("bytes=-5", 0, .full),
        ("bytes=5-2", 20, .full),
        ("bytes=abc", 20, .full),
        ("bytes=", 20, .full),
        ("items=0-5", 20, .full),
        ("bytes=0-1,5-6", 20, .full),
        ("bytes=0-1,30-40", 20, .partial(0...1)),
        ("bytes=30-40,50-60", 20, .unsatisfiable),
        ("bytes=1-2-3", 20, .full),
        ("bytes=+1-2", 20, .full),
        ("bytes=99999999999999999999999-", 20, .unsatisfiable),
    ] as [(String, Int64, RangeDecision)])
    func decides(header: String, size: Int64, expected: RangeDecision) {
        #expect(ByteRange.decide(header: header, size: size) == expected)
    }

    @Test func noHeaderIsFull() {
        #expect(ByteRange.decide(header: nil, size: 10) == .full)
    }
}
