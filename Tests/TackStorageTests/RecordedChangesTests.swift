import Testing
import TackCore
@testable import TackStorage

/// How both catalogs judge the rows of their changes table: in order and complete, or else forget everything.
@Suite struct RecordedChangesTests {
    @Test func completeRowsArePublishedButOurOwn() {
        var own: Set<Int64> = [6]
        let judged = RecordedChanges(rows: [(5, "user", "fred"), (6, "room", "room_a"), (7, "link_keys", "")],
                                     after: 4, last: 7, own: &own)
        #expect(judged.publish == [.user("fred"), .linkKeys] && judged.seen == 7)
        #expect(own.isEmpty, "an own number is skipped once, then forgotten")
    }

    @Test func aGapAnUnknownKindOrRowsAllGoneForgetEverything() {
        var own: Set<Int64> = []
        let gap = RecordedChanges(rows: [(5, "user", "fred"), (7, "room", "room_a")], after: 4, last: 7, own: &own)
        #expect(gap.publish == [.everything] && gap.seen == 7)
        let unknown = RecordedChanges(rows: [(5, "tomorrow's kind", "x")], after: 4, last: 5, own: &own)
        #expect(unknown.publish == [.everything] && unknown.seen == 5)
        let pruned = RecordedChanges(rows: [], after: 4, last: 9, own: &own)
        #expect(pruned.publish == [.everything] && pruned.seen == 9, "numbers handed out whose rows are gone")
    }
}
