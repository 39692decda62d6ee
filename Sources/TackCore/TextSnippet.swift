/// The passage of a file's text that a search found, its matched words marked: what a result shows to say why it was
/// found ("…the **penalty clause** applies after…"). Words are split and folded exactly as search splits them
/// (`AttachmentFilter.words`), so a snippet marks what the index matched, accents and case aside.
public struct TextSnippet: Sendable, Equatable {
    /// The passage, runs of whitespace made one space, with "…" where it was cut out of a longer text.
    public var text: String
    /// The matched words in `text`, as offsets and lengths in UTF-16 code units: how a browser indexes a string.
    public var highlights: [Highlight]

    /// One marked run of `text`.
    public struct Highlight: Sendable, Equatable {
        public var start: Int
        public var length: Int

        public init(start: Int, length: Int) {
            self.start = start
            self.length = length
        }
    }

    public init(text: String, highlights: [Highlight]) {
        self.text = text
        self.highlights = highlights
    }

    /// Bytes (UTF-8) of context kept before the first match and after it; a match itself is shown up to `maxMatch`
    /// bytes (a prefix can match a word a megabyte long).
    static let before = 120
    static let after = 180
    static let maxMatch = 240
    /// Words of context before the first match, when they fit in `before`.
    static let wordsBefore = 8
    /// Bytes of punctuation kept past the last word shown (or before the first).
    static let trailing = 16

    /// The passage around the first place in `text` where one of `matches` occurs, or nil when none does (the
    /// search matched the file's name or a message instead). Scans only as far as that first match, plus the
    /// context after it, over the UTF-8 bytes: a word that cannot be wanted is never made a string.
    public static func find(_ matches: [AttachmentFilter.TextMatch], in text: String) -> TextSnippet? {
        let wanted = Wanted(matches)
        guard !wanted.sequences.isEmpty else { return nil }
        var text = text
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { find(wanted, in: $0) } ?? nil
    }

    private static func find(_ wanted: Wanted, in bytes: UnsafeBufferPointer<UInt8>) -> TextSnippet? {
        var tokens = Tokenizer(bytes, candidates: wanted)
        var seen: [Token] = []
        var found: (first: Int, last: Int)?
        // Only the last words can start a match or be its context: memory stays flat however far the match is.
        let keep = max(256, wanted.longest + wordsBefore)
        while found == nil, let token = tokens.next() {
            if seen.count == 2 * keep { seen.removeFirst(keep) }
            seen.append(token)
            // A word no wanted one can be ends no match.
            if !token.word.isEmpty { found = wanted.match(endingAt: seen.count - 1, in: seen).map { ($0, seen.count - 1) } }
        }
        guard let (first, last) = found else { return nil }

        let matchStart = seen[first].start
        var matchEnd = seen[last].end
        if matchEnd - matchStart > maxMatch {
            matchEnd = matchStart + maxMatch
            while bytes[matchEnd] & 0xC0 == 0x80 { matchEnd -= 1 }  // not inside a character
        }
        var from = max(0, first - wordsBefore)
        while from < first, matchStart - seen[from].start > before { from += 1 }
        var start = seen[from].start
        var end = matchEnd
        while let token = tokens.next(), token.end - matchEnd <= after { end = token.end }
        // A few bytes of punctuation or symbols (a full stop, an emoji) cut off at either end with no word in them are
        // kept, and no ellipsis shown; otherwise a word's own punctuation stays with it ("follows."), within as few.
        if tokens.isOnlyPunctuation(0..<start, atMost: trailing) { start = 0 }
        if tokens.isOnlyPunctuation(end..<bytes.count, atMost: trailing) {
            end = bytes.count
        } else {
            let limit = min(bytes.count, end + trailing)
            while end < limit, case let (isWord, length, isSpace) = tokens.scalar(at: end), !isWord, !isSpace, end + length <= limit {
                end += length
            }
        }
        let passage = (start > 0 ? "…" : "") + collapsed(String(decoding: bytes[start..<end], as: UTF8.self))
            + (end < bytes.count ? "…" : "")
        return TextSnippet(text: passage, highlights: wanted.highlights(in: passage))
    }

    /// The text with each run of whitespace (newlines, tabs) made one space, trimmed at both ends.
    static func collapsed(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// A folded word of the text and where it is, in UTF-8 bytes; `word` is empty for a word no wanted one can be.
    struct Token {
        var start: Int
        var end: Int
        var word: String
    }

    /// Splits UTF-8 text into words as `AttachmentFilter.words` does, keeping where each word is: runs of letters,
    /// digits and the combining marks folding removes. A run is made a string only when its first letter can start
    /// a wanted word: an ASCII run lowercased by hand, any other folded by the search's own folding, which may split
    /// it into several words (they share the run's place).
    struct Tokenizer {
        let bytes: UnsafeBufferPointer<UInt8>
        /// Which lowercase ASCII bytes start a wanted word; nil makes every word a string.
        let firstBytes: [Bool]?
        var position = 0
        var queued: [Token] = []

        init(_ bytes: UnsafeBufferPointer<UInt8>, candidates: Wanted?) {
            self.bytes = bytes
            firstBytes = candidates.map { wanted in
                var table = [Bool](repeating: false, count: 256)
                for (words, _) in wanted.sequences {
                    for word in words { if let byte = word.utf8.first { table[Int(byte)] = true } }
                }
                return table
            }
        }

        static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
            let properties = scalar.properties
            return properties.isAlphabetic || properties.numericType != nil || properties.generalCategory == .nonspacingMark
        }

        /// Whether the character at byte `index` belongs to a word, how many bytes it takes, and whether it is
        /// whitespace.
        func scalar(at index: Int) -> (isWord: Bool, length: Int, isSpace: Bool) {
            let lead = bytes[index]
            if lead < 0x80 {
                let lower = lead | 0x20
                return ((0x30...0x39).contains(lead) || (0x61...0x7A).contains(lower), 1, lead == 0x20 || (0x09...0x0D).contains(lead))
            }
            // Swift strings hold valid UTF-8: a lead byte says the length, continuation bytes carry 6 bits each.
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
            var value = UInt32(lead) & (0xFF >> (length + 1))
            for offset in 1..<length where index + offset < bytes.count {
                value = value << 6 | UInt32(bytes[index + offset] & 0x3F)
            }
            guard let scalar = Unicode.Scalar(value) else { return (false, length, false) }
            return (Self.isWordScalar(scalar), length, scalar.properties.isWhitespace)
        }

        /// Whether `range` holds no word and at most `limit` bytes that are not whitespace; stops reading as soon as
        /// it knows.
        func isOnlyPunctuation(_ range: Range<Int>, atMost limit: Int) -> Bool {
            var index = range.lowerBound, counted = 0
            while index < range.upperBound {
                let (isWord, length, isSpace) = scalar(at: index)
                if isWord { return false }
                if !isSpace { counted += length }
                if counted > limit { return false }
                index += length
            }
            return true
        }

        /// Where the first word character in `range` is, if any.
        func firstWord(in range: Range<Int>) -> Int? {
            var index = range.lowerBound
            while index < range.upperBound {
                let (isWord, length, _) = scalar(at: index)
                if isWord { return index }
                index += length
            }
            return nil
        }

        mutating func next() -> Token? {
            // Queued in reverse: one run folded into many words costs one step each.
            if let token = queued.popLast() { return token }
            while let start = firstWord(in: position..<bytes.count) {
                position = start
                var ascii = true
                while position < bytes.count, case let (isWord, length, _) = scalar(at: position), isWord {
                    ascii = ascii && length == 1
                    position += length
                }
                let run = UnsafeBufferPointer(rebasing: bytes[start..<position])
                if ascii {
                    // An ASCII word no wanted word starts like is never made a string.
                    let first = run[0] >= 0x41 && run[0] <= 0x5A ? run[0] | 0x20 : run[0]
                    guard firstBytes?[Int(first)] ?? true else { return Token(start: start, end: position, word: "") }
                    let word = String(unsafeUninitializedCapacity: run.count) { lowered in
                        for (index, byte) in run.enumerated() { lowered[index] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
                        return run.count
                    }
                    return Token(start: start, end: position, word: word)
                }
                let words = AttachmentFilter.words(String(decoding: run, as: UTF8.self)).map { Token(start: start, end: position, word: $0) }
                guard let token = words.first else { continue }
                queued = words.dropFirst().reversed()
                return token
            }
            position = bytes.count
            return nil
        }
    }

    /// The word sequences a search wants, folded as the text is.
    struct Wanted {
        var sequences: [(words: [String], lastIsPrefix: Bool)] = []

        init(_ matches: [AttachmentFilter.TextMatch]) {
            for match in matches {
                switch match {
                case .word(let text), .phrase(let text): sequences.append((AttachmentFilter.words(text), false))
                case .prefix(let text): sequences.append((AttachmentFilter.words(text), true))
                }
            }
            sequences.removeAll { $0.words.isEmpty }
        }

        /// Words in the longest sequence.
        var longest: Int { sequences.map(\.words.count).max() ?? 0 }

        /// The index of the first token of a wanted sequence that ends at token `end`, if one does.
        func match(endingAt end: Int, in tokens: [Token]) -> Int? {
            for (words, lastIsPrefix) in sequences where words.count <= end + 1 {
                let first = end + 1 - words.count
                let matched = words.indices.allSatisfy { offset in
                    let word = tokens[first + offset].word
                    return offset == words.count - 1 && lastIsPrefix ? word.hasPrefix(words[offset]) : word == words[offset]
                }
                if matched { return first }
            }
            return nil
        }

        /// Every place in `passage` where a wanted sequence occurs, in UTF-16 code units, in order and apart.
        func highlights(in passage: String) -> [Highlight] {
            var passage = passage
            passage.makeContiguousUTF8()
            let tokens: [Token] = passage.utf8.withContiguousStorageIfAvailable { bytes in
                var tokenizer = Tokenizer(bytes, candidates: nil)
                var tokens: [Token] = []
                while let token = tokenizer.next() { tokens.append(token) }
                return tokens
            } ?? []
            var highlights: [Highlight] = []
            var coveredUntil = 0
            let (utf8, utf16) = (passage.utf8, passage.utf16)
            func utf16Offset(_ byte: Int) -> Int { utf16.distance(from: utf16.startIndex, to: utf8.index(utf8.startIndex, offsetBy: byte)) }
            for end in tokens.indices {
                guard let first = match(endingAt: end, in: tokens), tokens[first].start >= coveredUntil else { continue }
                let lower = utf16Offset(tokens[first].start)
                highlights.append(Highlight(start: lower, length: utf16Offset(tokens[end].end) - lower))
                coveredUntil = tokens[end].end
            }
            return highlights
        }
    }
}
