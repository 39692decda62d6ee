import Foundation
import Testing
import TackCore
@testable import TackStorage

/// The PostgreSQL text index's literals: documents and queries written from `AttachmentFilter.words`.
@Suite struct SearchDocumentTests {
    @Test func nameWordsComeFirstAndTheTextStartsTwoPositionsLater() {
        // Name at 1-3, text from 6: `'pdf' <-> 'budget'` cannot match across the fields.
        #expect(SearchDocument.tsvector(name: "Q3-Report.pdf", text: "Budget\nreport")
            == "'q3':1 'report':2,7 'pdf':3 'budget':6")
    }

    @Test func anEmptyNameStillLeavesTheGap() {
        #expect(SearchDocument.tsvector(name: "", text: "a b") == "'a':3 'b':4")
        #expect(SearchDocument.tsvector(name: "x", text: "") == "'x':1")
        #expect(SearchDocument.tsvector(name: "--", text: " . ") == "")
    }

    @Test func wordsAreFoldedAsTheFilterFoldsThem() {
        #expect(SearchDocument.tsvector(name: "Café", text: "CAFÉ Ünïcode") == "'cafe':1,4 'unicode':5")
    }

    /// Words never hold `'` or `\` (they are runs of letters and digits), but a literal must stay one if they did.
    @Test func quotesAndBackslashesAreWrittenTwice() {
        #expect(SearchDocument.quoted("it's") == "'it''s'")
        #expect(SearchDocument.quoted(#"a\b"#) == #"'a\\b'"#)
        #expect(SearchDocument.quoted(#"'\"#) == #"'''\\'"#)
        // A quote with a combining mark is one Character, but still a quote to PostgreSQL.
        #expect(Array(SearchDocument.quoted("'\u{301}").unicodeScalars) == ["'", "'", "'", "\u{301}", "'"])
    }

    @Test func positionsStopAtPostgresMaximumAndAreListedOnce() {
        // The text starts at 3: word n is at 3 + n, capped at 16383 from n = 16380 on.
        let words = (0..<16_400).map { "w\($0)" } + ["z", "z"]
        let literal = SearchDocument.tsvector(name: "", text: words.joined(separator: " "))
        #expect(literal.contains("'w16379':16382 'w16380':16383 'w16381':16383 "))
        #expect(literal.contains("'w16399':16383 "))
        #expect(literal.hasSuffix(" 'z':16383"))
    }

    @Test func aLexemeKeepsAtMost256Positions() {
        let literal = SearchDocument.tsvector(name: "", text: Array(repeating: "y", count: 300).joined(separator: " "))
        #expect(literal == "'y':" + (3..<259).map(String.init).joined(separator: ","))
    }

    @Test func wordsOver2000BytesAreLeftOutButKeepTheirPosition() {
        let kept = String(repeating: "ж", count: 1_000)  // 2,000 bytes
        let long = String(repeating: "ж", count: 1_001)
        // The long word still takes position 4, so "a c" is no phrase, as in `AttachmentFilter.matches`.
        #expect(SearchDocument.tsvector(name: "", text: "a \(long) c \(kept)") == "'a':3 'c':5 '\(kept)':6")
    }

    @Test func theLiteralStaysUnderOneMegabyteDroppingLaterWords() {
        // 600 distinct words of about 2,000 bytes: some 1.2 MB in all.
        let words = (0..<600).map { String(repeating: "a", count: 1_990) + "z\($0)" }
        let literal = SearchDocument.tsvector(name: "", text: words.joined(separator: " "))
        #expect(literal.utf8.count <= SearchDocument.maxLiteralBytes)
        #expect(literal.utf8.count > SearchDocument.maxLiteralBytes - 2_100, "filled up to the last word that fits")
        #expect(literal.hasPrefix("'\(words[0])':3 "))
        // The standard library's search: Foundation's `contains` bridges a megabyte through NSString, seconds of
        // one of the pool's two threads in a debug build.
        #expect(literal.firstRange(of: words[599]) == nil)
        // Whole entries only: the literal ends with a position.
        #expect(literal.last?.isNumber == true)
    }

    @Test func aWordIsOneLexemeAndAPrefixEndsWithAStar() {
        #expect(SearchDocument.tsquery([.word("Report")], joinedBy: .all) == "('report')")
        #expect(SearchDocument.tsquery([.prefix("Rep")], joinedBy: .all) == "('rep':*)")
        #expect(SearchDocument.tsquery([.word("café")], joinedBy: .all) == "('cafe')")
    }

    @Test func phrasesAndWordsWithPunctuationAreWordsInARow() {
        #expect(SearchDocument.tsquery([.phrase("Q3 budget")], joinedBy: .all) == "('q3' <-> 'budget')")
        #expect(SearchDocument.tsquery([.word("q3-budget")], joinedBy: .all) == "('q3' <-> 'budget')")
        // Only the last word of a prefix is a prefix.
        #expect(SearchDocument.tsquery([.prefix("annual rep")], joinedBy: .all) == "('annual' <-> 'rep':*)")
    }

    @Test func allIsAndAnyIsOr() {
        let matches: [AttachmentFilter.TextMatch] = [.word("logo"), .prefix("fin"), .phrase("q3 plan")]
        #expect(SearchDocument.tsquery(matches, joinedBy: .all) == "('logo') & ('fin':*) & ('q3' <-> 'plan')")
        #expect(SearchDocument.tsquery(matches, joinedBy: .any) == "('logo') | ('fin':*) | ('q3' <-> 'plan')")
    }

    @Test func aMatchNoDocumentHoldsMatchesNothing() {
        let none = SearchDocument.nothing
        #expect(SearchDocument.tsquery([], joinedBy: .all) == none)
        #expect(SearchDocument.tsquery([], joinedBy: .any) == none)
        #expect(SearchDocument.tsquery([.phrase("--")], joinedBy: .any) == none)
        // Under `.all` it cannot be met, as in `AttachmentFilter.matches`; under `.any` the others still can.
        #expect(SearchDocument.tsquery([.word("logo"), .phrase("--")], joinedBy: .all) == none)
        #expect(SearchDocument.tsquery([.word("logo"), .phrase("--")], joinedBy: .any) == "('logo')")
        let long = String(repeating: "x", count: 2_001)
        #expect(SearchDocument.tsquery([.word("logo"), .prefix("a " + long)], joinedBy: .any) == "('logo')")
        // And no document has the lexeme it asks for.
        #expect(!SearchDocument.tsvector(name: "a-b - c", text: "-'-'").contains(none))
    }
}

/// The PostgreSQL search statements: one value for each placeholder, and none of SQLite's spellings.
@Suite struct PostgresSearchTests {
    static let columns = "a.seq, a.id"

    static func filter(rooms: Int) -> AttachmentFilter {
        var filter = AttachmentFilter(rooms: (0..<rooms).map { _ in RoomID.make() })
        filter.uploaders = ["Alice", "bob"]
        filter.excludedUploaders = ["carol"]
        filter.types = [.image, .link]
        filter.excludedTypes = [.screenshot]
        filter.extensions = ["png"]
        filter.nameParts = ["50%"]
        filter.excludedNameParts = ["x_y"]
        filter.createdFrom = 1
        filter.createdBefore = 2
        filter.largerThan = 3
        filter.smallerThan = 4
        filter.excludedText = [.word("draft"), .prefix("fin")]
        return filter
    }

    static func check(_ statement: PostgresStatement?) throws -> PostgresStatement {
        let statement = try #require(statement)
        #expect(statement.sql.filter { $0 == "?" }.count == statement.binds.count, "\(statement.sql)")
        for sqlite in ["COLLATE", "MATCH", "+a.room_id", "rowid", "CROSS JOIN", " LIKE"] {
            #expect(!statement.sql.contains(sqlite), "\(sqlite) in \(statement.sql)")
        }
        return statement
    }

    @Test func textLedPageQueriesTheDocuments() throws {
        var filter = Self.filter(rooms: 2)
        filter.text = [.phrase("Q3 budget")]
        let page = try Self.check(PostgresSearch(filter).page(columns: Self.columns, limit: 11, before: 99))
        #expect(page.sql.contains("JOIN attachments a ON a.seq = t.seq"))
        #expect(page.sql.contains("WHERE t.doc @@ ?::tsquery AND a.room_id IN (?, ?)"))
        #expect(page.binds.first == PostgresValue.text("('q3' <-> 'budget')"))
        #expect(Array(page.binds.suffix(2)) == [.integer(Int64(99)), .integer(Int64(11))])
        #expect(page.sql.contains("a.seq NOT IN (SELECT seq FROM attachment_text WHERE doc @@ ?::tsquery)"))
        #expect(page.binds.contains(.text("('draft') | ('fin':*)")))
        #expect(page.sql.contains("lower(a.uploader) IN (lower(?), lower(?))"))
        #expect(page.sql.contains("lower(a.uploader) NOT IN (lower(?))"))
        #expect(page.sql.contains(#"a.name ILIKE ? ESCAPE '\'"#) && page.sql.contains(#"a.name NOT ILIKE ? ESCAPE '\'"#))
        #expect(page.binds.contains(.text(#"%50\%%"#)) && page.binds.contains(.text(#"%x\_y%"#)))
    }

    @Test func pagesOfOneRoomOfSomeRoomsAndOfMany() throws {
        let one = try Self.check(PostgresSearch(Self.filter(rooms: 1)).page(columns: Self.columns, limit: 5, before: 7))
        #expect(one.sql.contains("WHERE a.room_id = ? AND"))
        let many = try Self.check(PostgresSearch(Self.filter(rooms: PostgresSearch.mergedRoomLimit + 1))
            .page(columns: Self.columns, limit: 5, before: 7))
        #expect(many.sql.contains("WHERE a.room_id IN (?, ?"))
        let merged = try Self.check(PostgresSearch(Self.filter(rooms: 3)).page(columns: Self.columns, limit: 5, before: 7))
        #expect(merged.sql.hasPrefix("SELECT * FROM ((SELECT a.seq, a.id FROM attachments a "))
        #expect(merged.sql.components(separatedBy: ") UNION ALL (SELECT ").count == 3)
        #expect(merged.sql.hasSuffix(" ORDER BY a.seq DESC LIMIT ?)) AS merged ORDER BY seq DESC LIMIT ?"))
        #expect(merged.binds.last == PostgresValue.integer(Int64(5)))
    }

    @Test func summariesSumAsBigint() throws {
        let rooms = try Self.check(PostgresSearch(AttachmentFilter(rooms: [.make(), .make()])).summary())
        #expect(rooms.sql.contains("SUM(count)::bigint AS count, SUM(bytes)::bigint AS bytes FROM room_type_counts"))
        var filter = Self.filter(rooms: 2)
        filter.text = [.word("logo")]
        let counted = try Self.check(PostgresSearch(filter).summary())
        #expect(counted.sql.contains("SUM(a.size)::bigint AS bytes"))
        #expect(counted.sql.contains("AND a.seq IN (SELECT seq FROM attachment_text WHERE doc @@ ?::tsquery)"))
        #expect(counted.binds[2] == .text("('logo')"))
    }

    @Test func noRoomsNoStatement() {
        #expect(PostgresSearch(AttachmentFilter(rooms: [])).page(columns: Self.columns, limit: 5, before: 7) == nil)
        #expect(PostgresSearch(AttachmentFilter(rooms: [])).summary() == nil)
    }
}
