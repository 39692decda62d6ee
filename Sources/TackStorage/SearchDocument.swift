import Foundation
import TackCore

/// The PostgreSQL catalog's text index as tackd writes it: documents (`tsvector`) and queries (`tsquery`) as literals
/// made from `AttachmentFilter.words`, never from PostgreSQL's parsers and dictionaries, so that what PostgreSQL finds
/// is what `AttachmentFilter.matches` finds.
enum SearchDocument {
    /// PostgreSQL's largest position. Later words all get it, so phrase matching past it is approximate: a phrase
    /// there can be missed, or found in two words that were not next to each other.
    static let maxPosition = 16_383
    /// PostgreSQL keeps at most this many positions of a lexeme; later ones are left out (a phrase through one of
    /// them is missed; the word alone is still found).
    static let maxPositions = 256
    /// PostgreSQL refuses a word of 2,048 bytes or more: longer ones are left out of documents, and a query for one
    /// finds nothing.
    static let maxLexemeBytes = 2_000
    /// A tsvector holds under 1 MB of lexemes; a literal kept under that keeps them under it too. Words past it are
    /// left out.
    static let maxLiteralBytes = (1 << 20) - 1
    /// A query no document matches: words are runs of letters and digits, so no document has the lexeme `-`. A query
    /// with no lexemes at all would also match nothing, but PostgreSQL logs a notice for each one.
    static let nothing = "'-'"

    /// A tsvector literal of the name's words at positions 1…n and the text's from n + 3: the two positions between
    /// keep `<->` (next word) from joining the name's last word to the text's first, since they are two fields.
    static func tsvector(name: String, text: String) -> String {
        var document = Builder()
        let nameWords = AttachmentFilter.words(name)
        let placed = [(nameWords, 1), (AttachmentFilter.words(text), nameWords.count + 3)]
        for (words, start) in placed {
            for (offset, word) in words.enumerated() {
                guard document.add(word, at: start + offset) else { return document.literal }
            }
        }
        return document.literal
    }

    /// A tsquery of the matches joined by `&` (all) or `|` (any), each the phrase of its words, the last one a prefix
    /// (`:*`) for `.prefix`. A match that no document can hold (no words, or one too long for a document) leaves
    /// `.all` matching nothing, as in `AttachmentFilter.matches`, and is left out of `.any`; with nothing left the
    /// query is `nothing`, which `@@ ?::tsquery` accepts like any other.
    static func tsquery(_ matches: [AttachmentFilter.TextMatch], joinedBy junction: Junction) -> String {
        let operands = matches.map(operand)
        let found = operands.compactMap { $0 }
        if found.isEmpty || (junction == .all && found.count < operands.count) { return nothing }
        return found.joined(separator: junction == .all ? " & " : " | ")
    }

    /// One match as a parenthesized phrase; nil when no document can hold it.
    static func operand(_ match: AttachmentFilter.TextMatch) -> String? {
        let (text, isPrefix): (String, Bool) = switch match {
        case .word(let word): (word, false)
        case .prefix(let start): (start, true)
        case .phrase(let phrase): (phrase, false)
        }
        let lexemes = AttachmentFilter.words(text).map(lexeme)
        guard !lexemes.isEmpty, lexemes.allSatisfy({ $0.utf8.count <= maxLexemeBytes }) else { return nil }
        var quoted = lexemes.map(Self.quoted)
        if isPrefix { quoted[quoted.count - 1] += ":*" }
        return "(" + quoted.joined(separator: " <-> ") + ")"
    }

    /// A word as PostgreSQL compares it, byte for byte: in NFC, so that words Swift holds equal (canonically
    /// equivalent) are one lexeme in documents and queries alike.
    static func lexeme(_ word: String) -> String {
        word.utf8.allSatisfy { $0 < 0x80 } ? word : word.precomposedStringWithCanonicalMapping
    }

    /// `lexeme` quoted for a tsvector or tsquery literal, where `'` and `\` are the characters that mean something
    /// and each is written twice. Compared scalar by scalar: a quote followed by a combining mark is one Character.
    static func quoted(_ lexeme: String) -> String {
        var quoted = "'"
        for scalar in lexeme.unicodeScalars {
            if scalar == "'" || scalar == "\\" { quoted.unicodeScalars.append(scalar) }
            quoted.unicodeScalars.append(scalar)
        }
        quoted.unicodeScalars.append("'")
        return quoted
    }

    /// A tsvector literal being written: each lexeme once, with its positions in order, within PostgreSQL's limits.
    private struct Builder {
        var entries: [(quoted: String, positions: [Int])] = []
        var slots: [String: Int] = [:]
        var bytes = 0

        /// Adds `word` at `position`; false when the literal is full and this and later words must be dropped.
        mutating func add(_ word: String, at position: Int) -> Bool {
            let lexeme = SearchDocument.lexeme(word)
            guard lexeme.utf8.count <= SearchDocument.maxLexemeBytes else { return true }
            let position = min(position, SearchDocument.maxPosition)
            let digits = String(position).utf8.count
            if let slot = slots[lexeme] {
                let positions = entries[slot].positions
                // Past the cap every word shares one position, listed once (PostgreSQL would merge them anyway).
                guard positions.count < SearchDocument.maxPositions, positions.last != position else { return true }
                guard bytes + 1 + digits <= SearchDocument.maxLiteralBytes else { return false }
                bytes += 1 + digits
                entries[slot].positions.append(position)
            } else {
                let quoted = SearchDocument.quoted(lexeme)
                let cost = (entries.isEmpty ? 0 : 1) + quoted.utf8.count + 1 + digits
                guard bytes + cost <= SearchDocument.maxLiteralBytes else { return false }
                bytes += cost
                slots[lexeme] = entries.count
                entries.append((quoted, [position]))
            }
            return true
        }

        var literal: String {
            entries.map { $0.quoted + ":" + $0.positions.map(String.init).joined(separator: ",") }.joined(separator: " ")
        }
    }
}
