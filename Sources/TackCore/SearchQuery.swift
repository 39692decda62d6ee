/// A search over attachments as a member typed it, in the platform's syntax: `from:bob`, `in:"Room for Project A"`,
/// `before:20150501`, words and `"quoted phrases"`, and Tack's own `type:`, `name:`, `ext:`, `larger:`, `smaller:`
/// and `-` to exclude.
///
/// Parsing is all this does; `AttachmentFilter` turns a query into what a catalog runs.
public struct SearchQuery: Sendable, Equatable {
    /// One term, in the order typed.
    public struct Term: Sendable, Equatable {
        public var filter: Filter
        /// Written with a leading `-`: attachments that match are left out.
        public var excluded: Bool

        public init(_ filter: Filter, excluded: Bool = false) {
            self.filter = filter
            self.excluded = excluded
        }
    }

    /// What one term asks for.
    public enum Filter: Sendable, Equatable {
        /// A word of a name or of a message's text; ending in `*` (`rep*`), words that start with it.
        case word(String)
        /// Words in this order, in a name or a message's text.
        case phrase(String)
        /// `from:`: the user who attached the file.
        case from(String)
        /// `in:`: a room, by its name (or its id).
        case room(String)
        /// `before:`: on or before this day.
        case before(CalendarDay)
        /// `after:`: on or after this day.
        case after(CalendarDay)
        case type(AttachmentType)
        /// `name:`: part of the file's name.
        case name(String)
        /// `ext:`: the extension of the file's name, lowercased, without the dot.
        case ext(String)
        /// `larger:`: strictly more bytes than this.
        case larger(Int64)
        /// `smaller:`: strictly fewer bytes than this.
        case smaller(Int64)
    }

    public var terms: [Term]

    public init(_ terms: [Term]) { self.terms = terms }

    /// The operators, as the help text and errors list them.
    public static let operators = ["from", "in", "before", "after", "type", "name", "ext", "larger", "smaller"]

    /// Parses `text`; the error names what was expected and where (a position counted in Unicode scalars from 0).
    public static func parse(_ text: String) throws(SearchQueryError) -> SearchQuery {
        var parser = Parser(Array(text.unicodeScalars))
        return SearchQuery(try parser.terms())
    }
}

/// A day of the calendar, as `before:` and `after:` name it (`yyyyMMdd`); which instants it covers depends on the
/// time zone the search is made in.
public struct CalendarDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// A valid date in `yyyyMMdd` form; nil for anything else (`2015-05-01`, `20150230`).
    public init?(yyyymmdd text: String) {
        let digits = Array(text.utf8)
        guard digits.count == 8, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        self.init(year: number(0..<4), month: number(4..<6), day: number(6..<8))
    }

    public init?(year: Int, month: Int, day: Int) {
        guard year >= 1, (1...12).contains(month), day >= 1, day <= Self.days(inMonth: month, of: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2)
    }
}

/// Why a search could not be read: what was expected, and the position (in Unicode scalars from 0) where.
public struct SearchQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var position: Int

    public init(_ message: String, at position: Int) {
        self.message = message
        self.position = position
    }

    public var description: String { "at character \(position): \(message)" }
}

/// Reads terms left to right: whitespace separates them, a double quote opens a phrase or a quoted value, and letters
/// followed by `:` name an operator.
private struct Parser {
    let text: [Unicode.Scalar]
    var index = 0

    init(_ text: [Unicode.Scalar]) { self.text = text }

    mutating func terms() throws(SearchQueryError) -> [SearchQuery.Term] {
        var terms: [SearchQuery.Term] = []
        while true {
            while index < text.count, text[index].properties.isWhitespace { index += 1 }
            guard index < text.count else { return terms }
            if let term = try term() { terms.append(term) }
        }
    }

    private mutating func term() throws(SearchQueryError) -> SearchQuery.Term? {
        var excluded = false
        if text[index] == "-", index + 1 < text.count, !text[index + 1].properties.isWhitespace {
            excluded = true
            index += 1
        }
        let start = index
        if text[index] == "\"" {
            let phrase = try quoted()
            guard !phrase.isEmpty else { throw SearchQueryError("expected words between the quotes", at: start) }
            return SearchQuery.Term(.phrase(phrase), excluded: excluded)
        }
        if let name = operatorName() {
            guard SearchQuery.operators.contains(name) else {
                let list = SearchQuery.operators.map { $0 + ":" }.joined(separator: ", ")
                throw SearchQueryError("unknown operator '\(name):'; expected one of \(list), or put the word in quotes",
                                       at: start)
            }
            index += name.unicodeScalars.count + 1
            let valueStart = index
            let value = try operatorValue()
            return SearchQuery.Term(try filter(name, value, at: valueStart), excluded: excluded)
        }
        let word = take { $0 != "\"" && !$0.properties.isWhitespace }
        return SearchQuery.Term(.word(word), excluded: excluded)
    }

    /// The lowercased letters before a `:` at the current position, when they are there and are not a URL's scheme.
    private func operatorName() -> String? {
        var end = index
        while end < text.count, text[end].isASCII, text[end].properties.isAlphabetic { end += 1 }
        guard end > index, end < text.count, text[end] == ":" else { return nil }
        // `https://…` is a word to look for, not an operator.
        if end + 2 < text.count, text[end + 1] == "/", text[end + 2] == "/" { return nil }
        return String(String.UnicodeScalarView(text[index..<end])).lowercased()
    }

    /// An operator's value: quoted (`from:"Bob Jones"`), or up to the next space; an unquoted value keeps only its
    /// first word, as the platform's help says.
    private mutating func operatorValue() throws(SearchQueryError) -> String {
        if index < text.count, text[index] == "\"" { return try quoted() }
        return take { !$0.properties.isWhitespace }
    }

    /// A double-quoted run starting at the current position, without its quotes.
    private mutating func quoted() throws(SearchQueryError) -> String {
        let open = index
        index += 1
        let value = take { $0 != "\"" }
        guard index < text.count else {
            throw SearchQueryError("unclosed quote: expected a closing \" to end what starts here", at: open)
        }
        index += 1
        return String(value.trimmingWhitespace())
    }

    private mutating func take(while keep: (Unicode.Scalar) -> Bool) -> String {
        let start = index
        while index < text.count, keep(text[index]) { index += 1 }
        return String(String.UnicodeScalarView(text[start..<index]))
    }

    private func filter(_ name: String, _ value: String, at position: Int) throws(SearchQueryError) -> SearchQuery.Filter {
        guard !value.isEmpty else {
            throw SearchQueryError("expected \(Self.expected[name] ?? "a value") after \(name):", at: position)
        }
        switch name {
        case "from":
            return .from(value.hasPrefix("@") && value.count > 1 ? String(value.dropFirst()) : value)
        case "in":
            return .room(value.hasPrefix("#") && value.count > 1 ? String(value.dropFirst()) : value)
        case "before", "after":
            guard let day = CalendarDay(yyyymmdd: value) else {
                throw SearchQueryError("expected a date as yyyyMMdd after \(name): (like 20150501), not '\(value)'", at: position)
            }
            return name == "before" ? .before(day) : .after(day)
        case "type":
            guard let type = AttachmentType(rawValue: value.lowercased()) else {
                throw SearchQueryError("expected \(Self.expected["type"]!) after type:, not '\(value)'", at: position)
            }
            return .type(type)
        case "name":
            return .name(value)
        case "ext":
            let ext = (value.hasPrefix(".") ? String(value.dropFirst()) : value).lowercased()
            guard !ext.isEmpty, ext.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) })
            else { throw SearchQueryError("expected \(Self.expected["ext"]!) after ext:, not '\(value)'", at: position) }
            return .ext(ext)
        default:
            guard let bytes = ByteCount.parse(value), bytes >= 0 else {
                throw SearchQueryError("expected \(Self.expected[name]!) after \(name):, not '\(value)'", at: position)
            }
            return name == "larger" ? .larger(bytes) : .smaller(bytes)
        }
    }

    private static let expected: [String: String] = [
        "from": "a user's name", "in": "a room's name", "before": "a date as yyyyMMdd", "after": "a date as yyyyMMdd",
        "type": "one of " + AttachmentType.allCases.map(\.rawValue).joined(separator: ", "),
        "name": "part of a file name", "ext": "an extension like pdf",
        "larger": "a size like 10MB or 500KB", "smaller": "a size like 10MB or 500KB",
    ]
}
