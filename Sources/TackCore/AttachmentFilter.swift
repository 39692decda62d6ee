import Foundation

/// A search made concrete for a catalog: which rooms, which instants, which words, with every name resolved and
/// every day turned into instants in the searcher's time zone.
///
/// Repeating `from:`, `in:`, `type:` or `ext:` widens (any of them); words, phrases and `name:` narrow (all of them);
/// `-` excludes. Dates and sizes keep the tightest bound.
public struct AttachmentFilter: Sendable, Equatable {
    /// The rooms searched, each one the searcher is a member of; empty finds nothing.
    public var rooms: [RoomID]
    /// Uploaders, any of (compared without case); empty: anyone.
    public var uploaders: [String] = []
    public var excludedUploaders: [String] = []
    public var types: [AttachmentType] = []
    public var excludedTypes: [AttachmentType] = []
    public var extensions: [String] = []
    public var excludedExtensions: [String] = []
    /// Parts of the name, all of them (compared without case).
    public var nameParts: [String] = []
    public var excludedNameParts: [String] = []
    /// Created at or after, in milliseconds since 1970.
    public var createdFrom: Int64?
    /// Created strictly before, in milliseconds since 1970.
    public var createdBefore: Int64?
    public var largerThan: Int64?
    public var smallerThan: Int64?
    /// Words and phrases that names or message texts must contain, and ones they must not.
    public var text: [TextMatch] = []
    public var excludedText: [TextMatch] = []

    /// A word, the start of one (`rep*`), or a phrase (words in this order).
    ///
    /// A word matches that word, as the platform's search does; a prefix must be asked for, since a text index
    /// answers it by merging the lists of every word it starts (ten times slower for a common start).
    public enum TextMatch: Sendable, Equatable {
        case word(String)
        case prefix(String)
        case phrase(String)
    }

    public init(rooms: [RoomID]) { self.rooms = rooms }

    /// The filter for `query` over `scope` (the rooms the searcher is a member of and asked about), with days in
    /// `timeZone`.
    public init(_ query: SearchQuery, scope: [Room], timeZone: TimeZone) {
        var included: Set<RoomID>?
        var excludedRooms = Set<RoomID>()
        self.init(rooms: [])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        for term in query.terms {
            let excluded = term.excluded
            switch term.filter {
            case .word(let word):
                // A word without letters or digits (a lone `-`, `&`) has nothing a text index could match.
                guard word.unicodeScalars.contains(where: { $0.properties.isAlphabetic || $0.properties.numericType != nil })
                else { continue }
                var stem = Substring(word)
                while stem.hasSuffix("*") { stem = stem.dropLast() }
                let match: TextMatch = stem.count < word.count ? .prefix(String(stem)) : .word(word)
                excluded ? excludedText.append(match) : text.append(match)
            case .phrase(let phrase):
                guard phrase.unicodeScalars.contains(where: { $0.properties.isAlphabetic || $0.properties.numericType != nil })
                else { continue }
                excluded ? excludedText.append(.phrase(phrase)) : text.append(.phrase(phrase))
            case .from(let user):
                excluded ? excludedUploaders.append(user) : uploaders.append(user)
            case .room(let name):
                let matching = Set(scope.filter { Self.names($0, name) }.map(\.id))
                if excluded { excludedRooms.formUnion(matching) } else { included = (included ?? []).union(matching) }
            case .before(let day):
                // `-before:D` leaves out D and everything before it: from the day after D on.
                if excluded { createdFrom = max(createdFrom ?? .min, Self.millis(startOf: day, plusDays: 1, calendar)) }
                else { createdBefore = min(createdBefore ?? .max, Self.millis(startOf: day, plusDays: 1, calendar)) }
            case .after(let day):
                // `-after:D` leaves out D and everything after it: strictly before D.
                if excluded { createdBefore = min(createdBefore ?? .max, Self.millis(startOf: day, plusDays: 0, calendar)) }
                else { createdFrom = max(createdFrom ?? .min, Self.millis(startOf: day, plusDays: 0, calendar)) }
            case .type(let type):
                excluded ? excludedTypes.append(type) : types.append(type)
            case .name(let part):
                excluded ? excludedNameParts.append(part) : nameParts.append(part)
            case .ext(let ext):
                excluded ? excludedExtensions.append(ext) : extensions.append(ext)
            case .larger(let bytes):
                // `-larger:10MB` is `smaller:` 10MB + 1: at most 10MB.
                if excluded { smallerThan = min(smallerThan ?? .max, bytes == .max ? .max : bytes + 1) }
                else { largerThan = max(largerThan ?? .min, bytes) }
            case .smaller(let bytes):
                if excluded { largerThan = max(largerThan ?? .min, bytes - 1) }
                else { smallerThan = min(smallerThan ?? .max, bytes) }
            }
        }
        rooms = scope.map(\.id).filter { (included?.contains($0) ?? true) && !excludedRooms.contains($0) }
    }

    /// True when `in:` names this room: its name without regard to case, or its id.
    static func names(_ room: Room, _ value: String) -> Bool {
        room.id.rawValue == value || room.name.compare(value, options: [.caseInsensitive]) == .orderedSame
    }

    static func millis(startOf day: CalendarDay, plusDays: Int, _ calendar: Calendar) -> Int64 {
        let components = DateComponents(year: day.year, month: day.month, day: day.day + plusDays)
        // Every valid `CalendarDay` has a start in every zone (a day that starts in a DST gap starts at the gap's end).
        let date = calendar.date(from: components) ?? Date(timeIntervalSince1970: 0)
        return Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// True when the filter matches an attachment; the reference the catalogs' queries are tested against.
    public func matches(_ attachment: Attachment, messageTexts: [String]) -> Bool {
        guard rooms.contains(attachment.room) else { return false }
        let uploader = attachment.uploader.lowercased()
        if !uploaders.isEmpty, !uploaders.contains(where: { $0.lowercased() == uploader }) { return false }
        if excludedUploaders.contains(where: { $0.lowercased() == uploader }) { return false }
        let types = attachment.types
        if !self.types.isEmpty, !self.types.contains(where: types.contains) { return false }
        if excludedTypes.contains(where: types.contains) { return false }
        let ext = AttachmentType.fileExtension(of: attachment.name)
        if !extensions.isEmpty, !extensions.contains(ext) { return false }
        if excludedExtensions.contains(ext) { return false }
        let name = attachment.name.lowercased()
        if !nameParts.allSatisfy({ name.contains($0.lowercased()) }) { return false }
        if excludedNameParts.contains(where: { name.contains($0.lowercased()) }) { return false }
        let created = Int64((attachment.createdAt.timeIntervalSince1970 * 1000).rounded(.down))
        if let createdFrom, created < createdFrom { return false }
        if let createdBefore, created >= createdBefore { return false }
        if let largerThan, attachment.size <= largerThan { return false }
        if let smallerThan, attachment.size >= smallerThan { return false }
        // The texts of all the messages that carry it are one field, as in the catalogs' text indexes.
        let words = [attachment.name, messageTexts.joined(separator: "\n")].map(Self.words)
        if !text.allSatisfy({ match in words.contains { Self.contains($0, match) } }) { return false }
        if excludedText.contains(where: { match in words.contains { Self.contains($0, match) } }) { return false }
        return true
    }

    /// Lowercased runs of letters and digits, diacritics folded: how a name or a message splits into words. Both
    /// catalogs' text indexes follow it (SQLite's FTS5 tokenizer is set up to split alike; PostgreSQL's documents and
    /// queries are written from it), so what they find is what `matches` finds.
    public static func words(_ text: String) -> [String] {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased().split(whereSeparator: { character in
            !character.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil }
        }).map(String.init)
    }

    static func contains(_ words: [String], _ match: TextMatch) -> Bool {
        switch match {
        case .word(let word):
            // A typed word with punctuation (`q3-report`) is a phrase of the words in it.
            return occurs(Self.words(word), in: words, lastIsPrefix: false)
        case .prefix(let start):
            return occurs(Self.words(start), in: words, lastIsPrefix: true)
        case .phrase(let phrase):
            return occurs(Self.words(phrase), in: words, lastIsPrefix: false)
        }
    }

    private static func occurs(_ wanted: [String], in words: [String], lastIsPrefix: Bool) -> Bool {
        guard !wanted.isEmpty, words.count >= wanted.count else { return false }
        for start in 0...(words.count - wanted.count) {
            let matched = wanted.indices.allSatisfy { offset in
                let word = words[start + offset]
                return offset == wanted.count - 1 && lastIsPrefix ? word.hasPrefix(wanted[offset]) : word == wanted[offset]
            }
            if matched { return true }
        }
        return false
    }
}

extension Attachment {
    /// The attachment's media kind (image, video, audio, document, archive or other).
    public var media: AttachmentType { AttachmentType.media(contentType: contentType, name: name) }

    /// Every type it counts as: its media kind, plus `link` and `screenshot` for where it came from.
    public var types: [AttachmentType] {
        var types = [media]
        if source != nil { types.append(.link) }
        if isScreenshot { types.append(.screenshot) }
        return types
    }
}

/// Counts and bytes of a search's attachments by type, as the gallery's tabs show them.
public struct AttachmentCounts: Sendable, Equatable {
    public struct Tally: Sendable, Equatable {
        public var count: Int
        public var bytes: Int64

        public init(count: Int = 0, bytes: Int64 = 0) {
            self.count = count
            self.bytes = bytes
        }

        public mutating func add(count: Int, bytes: Int64) {
            self.count += count
            self.bytes += bytes
        }
    }

    public var total = Tally()
    /// Every type, zero when none matched; `link` and `screenshot` overlap the media kinds.
    public var byType: [AttachmentType: Tally] = Dictionary(uniqueKeysWithValues: AttachmentType.allCases.map { ($0, Tally()) })

    public init() {}
}
