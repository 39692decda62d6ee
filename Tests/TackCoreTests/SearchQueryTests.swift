import Foundation
import Testing
@testable import TackCore

@Suite struct SearchQueryTests {
    private func parse(_ text: String) throws -> [SearchQuery.Term] { try SearchQuery.parse(text).terms }
    private func day(_ text: String) -> CalendarDay { CalendarDay(yyyymmdd: text)! }

    // The platform's help text, example by example.

    @Test func fromTakesAUserNameOrAQuotedFullName() throws {
        #expect(try parse("from:bob") == [.init(.from("bob"))])
        #expect(try parse("from:\"Bob Jones\"") == [.init(.from("Bob Jones"))])
        #expect(try parse("from:@bob") == [.init(.from("bob"))], "Slack's habit of @ is forgiven")
    }

    @Test func inTakesARoomNameOrAQuotedOne() throws {
        #expect(try parse("in:design") == [.init(.room("design"))])
        #expect(try parse("in:\"Room for Project A\"") == [.init(.room("Room for Project A"))])
    }

    @Test func anUnquotedValueKeepsOnlyItsFirstWord() throws {
        #expect(try parse("in:Room for Project A") == [
            .init(.room("Room")), .init(.word("for")), .init(.word("Project")), .init(.word("A")),
        ])
    }

    @Test func beforeAndAfterTakeADay() throws {
        #expect(try parse("before:20150501") == [.init(.before(day("20150501")))])
        #expect(try parse("after:20150601") == [.init(.after(day("20150601")))])
        #expect(day("20150501") == CalendarDay(year: 2015, month: 5, day: 1))
        #expect(day("20240229").description == "20240229")
    }

    @Test func wordsAndQuotedPhrases() throws {
        #expect(try parse("invoice \"final draft\" q3") == [
            .init(.word("invoice")), .init(.phrase("final draft")), .init(.word("q3")),
        ])
        #expect(try parse("  spaced\t\tout  ") == [.init(.word("spaced")), .init(.word("out"))])
        #expect(try parse("") == [])
    }

    // Tack's own operators.

    @Test func typeNameExtAndSizes() throws {
        for type in AttachmentType.allCases {
            #expect(try parse("type:\(type.rawValue)") == [.init(.type(type))])
        }
        #expect(try parse("type:IMAGE") == [.init(.type(.image))])
        #expect(try parse("name:report") == [.init(.name("report"))])
        #expect(try parse("name:\"annual report\"") == [.init(.name("annual report"))])
        #expect(try parse("ext:pdf ext:.PNG") == [.init(.ext("pdf")), .init(.ext("png"))])
        #expect(try parse("larger:10MB smaller:500KB larger:7") == [
            .init(.larger(10 << 20)), .init(.smaller(500 << 10)), .init(.larger(7)),
        ])
    }

    @Test func aMinusExcludes() throws {
        #expect(try parse("-word -type:link -\"a phrase\" -from:bob") == [
            .init(.word("word"), excluded: true), .init(.type(.link), excluded: true),
            .init(.phrase("a phrase"), excluded: true), .init(.from("bob"), excluded: true),
        ])
        #expect(try parse("a - b") == [.init(.word("a")), .init(.word("-")), .init(.word("b"))],
                "a lone dash is a word (with nothing to match), not an exclusion")
    }

    @Test func operatorsIgnoreCaseAndURLsAreWords() throws {
        #expect(try parse("FROM:bob In:design") == [.init(.from("bob")), .init(.room("design"))])
        #expect(try parse("https://example.com/x") == [.init(.word("https://example.com/x"))])
        #expect(try parse("12:30") == [.init(.word("12:30"))], "digits before a colon are not an operator")
    }

    @Test func everythingAtOnce() throws {
        let terms = try parse("from:\"Bob Jones\" in:\"Room for Project A\" before:20150501 after:20150101 type:image -ext:gif \"logo v2\" mock")
        #expect(terms.count == 8)
        #expect(terms[5] == .init(.ext("gif"), excluded: true))
    }

    // Bad input: what was expected, and where.

    @Test(arguments: [
        ("before:2015-05-01", 7, "yyyyMMdd"),
        ("after:20150230", 6, "yyyyMMdd"),
        ("after:2015050", 6, "yyyyMMdd"),
        ("type:banana", 5, "image, video"),
        ("cats colour:red", 5, "unknown operator 'colour:'"),
        ("-colour:red", 1, "unknown operator"),
        ("from: bob", 5, "a user's name"),
        ("in:", 3, "a room's name"),
        ("larger:huge", 7, "a size like 10MB"),
        ("smaller:-5KB", 8, "a size like 10MB"),
        ("ext:p/f", 4, "an extension"),
        ("find \"unclosed phrase", 5, "unclosed quote"),
        ("from:\"Bob", 5, "unclosed quote"),
        ("\"\"", 0, "words between the quotes"),
        ("é \"x", 2, "unclosed quote"),
    ])
    func badInputSaysWhatWasExpectedWhere(text: String, position: Int, expected: String) {
        #expect {
            _ = try SearchQuery.parse(text)
        } throws: { error in
            guard let error = error as? SearchQueryError else { return false }
            return error.position == position && error.message.contains(expected)
        }
    }

    @Test func daysAreChecked() {
        #expect(CalendarDay(yyyymmdd: "20240229") != nil)
        #expect(CalendarDay(yyyymmdd: "20230229") == nil)
        #expect(CalendarDay(yyyymmdd: "21000229") == nil)
        #expect(CalendarDay(yyyymmdd: "20000229") != nil)
        #expect(CalendarDay(yyyymmdd: "20151301") == nil)
        #expect(CalendarDay(yyyymmdd: "00000101") == nil)
        #expect(CalendarDay(yyyymmdd: "２０１５０５０１") == nil, "only ASCII digits")
    }

    @Test func neverCrashesOnArbitraryText() {
        // Every prefix of a tricky string: each parses or says where it stopped, within the text.
        let text = "-from:\"Bob J\" in:#x -\"é ü\" type:im larger:1 12:: -: \"\" ext:."
        for end in text.indices {
            let prefix = String(text[..<end])
            do { _ = try SearchQuery.parse(prefix) } catch {
                #expect(error.position >= 0 && error.position <= prefix.unicodeScalars.count, "\(prefix)")
            }
        }
    }
}

@Suite struct AttachmentFilterTests {
    private let rooms = [
        Room(id: RoomID(rawValue: "room_01aaaaaaaaaaaaaaaaaaaaaaaa"), name: "Room for Project A", creator: "c", members: ["c"], createdAt: Date()),
        Room(id: RoomID(rawValue: "room_01bbbbbbbbbbbbbbbbbbbbbbbb"), name: "design", creator: "c", members: ["c"], createdAt: Date()),
    ]

    private func filter(_ text: String, zone: String = "UTC") throws -> AttachmentFilter {
        AttachmentFilter(try SearchQuery.parse(text), scope: rooms, timeZone: TimeZone(identifier: zone)!)
    }

    @Test func inNarrowsToRoomsByNameWithoutCase() throws {
        #expect(try filter("in:DESIGN").rooms == [rooms[1].id])
        #expect(try filter("in:\"room for project a\"").rooms == [rooms[0].id])
        #expect(try filter("in:design in:\"Room for Project A\"").rooms == rooms.map(\.id), "in: twice is either")
        #expect(try filter("-in:design").rooms == [rooms[0].id])
        #expect(try filter("in:nowhere").rooms == [], "a room the searcher is not in finds nothing")
        #expect(try filter("cats").rooms == rooms.map(\.id))
    }

    @Test func daysAreInclusiveAndFollowTheTimeZone() throws {
        let utc = try filter("after:20150601 before:20150601")
        #expect(utc.createdFrom == 1_433_116_800_000, "2015-06-01T00:00Z")
        #expect(utc.createdBefore == 1_433_203_200_000, "2015-06-02T00:00Z: before: includes its day")
        let berlin = try filter("after:20150601", zone: "Europe/Berlin")
        #expect(berlin.createdFrom == 1_433_109_600_000, "midnight in Berlin is 22:00Z in summer")
        #expect(try filter("after:20150101 after:20150601").createdFrom == utc.createdFrom, "the tighter bound wins")
        #expect(try filter("-before:20150531").createdFrom == utc.createdFrom, "not on or before May 31: from June 1 on")
        #expect(try filter("-after:20150601").createdBefore == utc.createdFrom, "not on or after June 1: before it")
        #expect(try filter("-after:20150601").createdFrom == nil)
    }

    @Test func excludedSizesBecomeTheOppositeBound() throws {
        let f = try filter("-larger:1KB -smaller:10")
        #expect(f.smallerThan == 1025)
        #expect(f.largerThan == 9)
    }

    @Test func wordsWithoutLettersAreDropped() throws {
        let f = try filter("a - & \"--\" b rep* *")
        #expect(f.text == [.word("a"), .word("b"), .prefix("rep")])
    }

    @Test func theReferenceMatcherSplitsLikeATextIndex() {
        #expect(AttachmentFilter.words("Q3-Report_final.PDF") == ["q3", "report", "final", "pdf"])
        #expect(AttachmentFilter.contains(["q3", "report"], .prefix("q3-rep")))
        #expect(!AttachmentFilter.contains(["q3", "report"], .word("q3-rep")), "a word is the whole word")
        #expect(AttachmentFilter.contains(["q3", "report"], .word("q3-report")))
        #expect(!AttachmentFilter.contains(["q3", "report"], .phrase("q3 rep")))
        #expect(AttachmentFilter.contains(["café"].flatMap(AttachmentFilter.words), .word("cafe")))
    }
}

@Suite struct AttachmentTypeTests {
    @Test(arguments: [
        ("image/png", "a.png", AttachmentType.image), ("image/svg+xml", "x", .image), ("video/mp4", "v", .video),
        ("audio/ogg; codecs=opus", "a", .audio), ("application/pdf", "a.pdf", .document), ("text/plain", "notes", .document),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a.docx", .document),
        ("application/zip", "a.zip", .archive), ("application/octet-stream", "report.DOCX", .document),
        ("application/octet-stream", "backup.tar.gz", .archive), ("application/octet-stream", "blob", .other),
        ("application/octet-stream", ".bashrc", .other), ("application/x-sharedlib", "lib.so", .other),
    ])
    func mediaKindFromTypeOrExtension(contentType: String, name: String, expected: AttachmentType) {
        #expect(AttachmentType.media(contentType: contentType, name: name) == expected)
    }
}
