@testable import TackCore
import Testing

/// Snippets mark what search matched: the same words, folded the same way, at UTF-16 offsets a browser can use.
@Suite struct TextSnippetTests {
    /// The marked runs of a snippet, as the strings a browser would cut out of it.
    func marked(_ snippet: TextSnippet?) -> [String] {
        guard let snippet else { return [] }
        let units = Array(snippet.text.utf16)
        return snippet.highlights.map { String(decoding: units[$0.start..<($0.start + $0.length)], as: UTF16.self) }
    }

    @Test func aPhraseIsMarkedWhereItIs() {
        let text = "Section 4.\n\nThe  penalty\tclause applies after thirty days; a second penalty clause follows."
        let snippet = TextSnippet.find([.phrase("penalty clause")], in: text)
        #expect(snippet?.text == "Section 4. The penalty clause applies after thirty days; a second penalty clause follows.")
        #expect(marked(snippet) == ["penalty clause", "penalty clause"])
        // Words alone, and a word that only occurs inside another is no match.
        #expect(marked(TextSnippet.find([.word("clause"), .word("DAYS")], in: text)) == ["clause", "days", "clause"])
        #expect(TextSnippet.find([.word("pen")], in: text) == nil)
        #expect(TextSnippet.find([.word("penalty clauses")], in: text) == nil)
    }

    @Test func accentsCaseAndPrefixesFoldAsSearchDoes() {
        let text = "Le CAFÉ ouvre à 8h. Reports: Q3-budget, re\u{301}sume\u{301}."
        #expect(marked(TextSnippet.find([.word("cafe")], in: text)) == ["CAFÉ"])
        #expect(marked(TextSnippet.find([.prefix("rep")], in: text)) == ["Reports"])
        #expect(marked(TextSnippet.find([.word("q3-budget")], in: text)) == ["Q3-budget"])
        #expect(marked(TextSnippet.find([.word("resume")], in: text)) == ["re\u{301}sume\u{301}"])
    }

    @Test func offsetsAreUTF16AfterEmojiAndAstralLetters() {
        let text = "👩🏽‍💻 𝐀 deploy timeout on gateway"
        let snippet = TextSnippet.find([.word("timeout")], in: text)
        #expect(marked(snippet) == ["timeout"])
        #expect(snippet?.highlights.first?.start == "👩🏽‍💻 𝐀 deploy ".utf16.count)
    }

    @Test func aMatchDeepInALongTextIsCutAroundWithEllipses() throws {
        let filler = String(repeating: "lorem ipsum dolor sit amet ", count: 40_000)  // a megabyte
        let text = filler + "the gateway returned 504 after a timeout " + filler
        let snippet = try #require(TextSnippet.find([.phrase("returned 504")], in: text))
        #expect(snippet.text.hasPrefix("…") && snippet.text.hasSuffix("…"))
        #expect(snippet.text.unicodeScalars.count <= 2 + 120 + 240 + 180, "\(snippet.text.count)")
        #expect(snippet.text.contains("the gateway returned 504 after a timeout"))
        #expect(marked(snippet) == ["returned 504"])
        // A prefix matching a word far longer than a snippet shows its start only.
        let long = "see " + String(repeating: "x", count: 100_000) + " end"
        let cut = try #require(TextSnippet.find([.prefix("xx")], in: long))
        #expect(cut.text.unicodeScalars.count < 300 && cut.text.hasPrefix("see x"))
        // Rules of punctuation (an OCR'd table, a dotted leader) around the match: cut like words, not kept whole.
        let rules = String(repeating: "=", count: 100_000) + " penalty clause " + String(repeating: "·", count: 100_000)
        let ruled = try #require(TextSnippet.find([.phrase("penalty clause")], in: rules))
        #expect(ruled.text.unicodeScalars.count < 64 && ruled.text.hasPrefix("…") && ruled.text.hasSuffix("…"), "\(ruled.text.count)")
        #expect(marked(ruled) == ["penalty clause"])
        // Whitespace alone around it is no cut.
        #expect(TextSnippet.find([.word("clause")], in: "\n\n\n" + String(repeating: " ", count: 40) + "penalty clause."
                                 + String(repeating: "\n", count: 40))?.text == "penalty clause.")
        #expect(TextSnippet.find([.word("absent")], in: text) == nil)
        #expect(TextSnippet.find([], in: text) == nil && TextSnippet.find([.word("--")], in: text) == nil)
    }

    /// Over random texts, a snippet exists exactly when search's own reading says the text matches, and it shows
    /// the first place that does.
    @Test func findsExactlyWhatSearchMatches() {
        var state: UInt64 = 20261201
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let vocabulary = ["alpha", "Beta", "café", "CAFE", "q3", "report", "reports", "x-ray", "日本", "naïve", "2026", "a"]
        let separators = [" ", "  ", "\n", ", ", "-", ". ", "\t", "/"]
        for _ in 0..<2000 {
            let text = (0..<(1 + next(30))).map { _ in vocabulary[next(vocabulary.count)] + separators[next(separators.count)] }.joined()
            let picked = (0..<(1 + next(3))).map { _ in vocabulary[next(vocabulary.count)] }.joined(separator: " ")
            let matches: [AttachmentFilter.TextMatch] = [.word(picked), .phrase(picked), .prefix(picked)]
            let match = matches[next(3)]
            let expected = AttachmentFilter.contains(AttachmentFilter.words(text), match)
            let snippet = TextSnippet.find([match], in: text)
            #expect((snippet != nil) == expected, "\(match) in \(text.debugDescription)")
            if let snippet { #expect(!snippet.highlights.isEmpty, "\(match) in \(text.debugDescription)") }
        }
    }
}
