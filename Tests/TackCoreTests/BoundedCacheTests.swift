import Foundation
import Testing
@testable import TackCore

@Suite struct BoundedCacheTests {
    @Test func neverHoldsMoreThanItsCapacity() {
        var cache = BoundedCache<Int, String>(capacity: 100)
        for key in 0..<10_000 {
            cache.insert("\(key)", for: key)
            #expect(cache.count <= 100)
        }
        #expect(cache.count >= 50)
        #expect(cache.value(for: 9_999) == "9999")
        #expect(cache.value(for: 0) == nil)
    }

    @Test func whatIsUsedStays() {
        var cache = BoundedCache<Int, Int>(capacity: 10)
        cache.insert(-1, for: -1)
        for key in 0..<1_000 {
            cache.insert(key, for: key)
            // A hot entry read between inserts survives however many cold ones pass through.
            #expect(cache.value(for: -1) == -1, "dropped after \(key) inserts")
        }
    }

    @Test func weighsEntriesByTheirCost() {
        var cache = BoundedCache<String, [UInt8]>(capacity: 1000, cost: { $0.count })
        for n in 0..<100 {
            cache.insert([UInt8](repeating: 0, count: 90), for: "k\(n)")
            #expect(cache.totalCost <= 1000)
        }
        cache.insert([UInt8](repeating: 0, count: 501), for: "huge")
        #expect(cache.value(for: "huge") == nil, "one entry may not take more than half")
        cache.insert([UInt8](repeating: 1, count: 10), for: "k99")
        #expect(cache.value(for: "k99")?.first == 1, "inserting again replaces")
    }

    @Test func forgetsByKeyAndByPredicate() {
        var cache = BoundedCache<Int, String>(capacity: 100)
        for key in 0..<40 { cache.insert(key.isMultiple(of: 2) ? "even" : "odd", for: key) }
        cache.remove(1)
        #expect(cache.value(for: 1) == nil)
        cache.removeAll { _, value in value == "even" }
        #expect(cache.count == 19)
        #expect((0..<40).allSatisfy { cache.value(for: $0) != "even" })
        cache.removeAll()
        #expect(cache.count == 0 && cache.totalCost == 0)
    }

    @Test func aCapacityOfZeroKeepsNothing() {
        var cache = BoundedCache<Int, Int>(capacity: 0)
        cache.insert(1, for: 1)
        #expect(cache.value(for: 1) == nil)
    }
}

@Suite struct TimestampTests {
    @Test func matchesFoundationsFormatterToTheMillisecond() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        // Leap days, the turn of centuries, the epoch, and 10,000 random instants from 1900 to 2200.
        var millis: [Int64] = [0, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, 1_709_164_800_123, -1, -86_400_001]
        for _ in 0..<10_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            millis.append(Int64(state >> 1) % 9_467_280_000_000 - 2_208_988_800_000)
        }
        for value in millis {
            let date = Date(timeIntervalSince1970: Double(value) / 1000)
            #expect(Timestamp.rfc3339(date) == formatter.string(from: date), "\(value)")
        }
    }
}
