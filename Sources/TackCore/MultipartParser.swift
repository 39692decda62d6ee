import Foundation

/// A streaming `multipart/form-data` parser whose work is linear in the body and whose memory is bounded by its
/// limits, whatever a client sends.
///
/// Pure: it reads bytes and says what it found, so it is tested (and fuzzed) without a server.
/// Body bytes are named as ranges of the chunk that arrived (no copy); only a possible start of the next
/// delimiter (at most the delimiter's length) and one part's header block are ever held back. The search for the
/// delimiter jumps from one `\r` to the next with `memchr`, so a body of nothing but `\r` bytes costs one short
/// comparison per byte and yields one body slice per chunk, not one per byte.
public struct MultipartParser: Sendable {
    /// What the parser found, in order.
    public enum Event: Sendable, Equatable {
        /// A part begins; its header fields, names in lower case.
        case part([String: String])
        /// Bytes of the current part's body: this range of the chunk just fed.
        case body(Range<Int>)
        /// Bytes of the current part's body that were held back from earlier chunks.
        case heldBody([UInt8])
        /// The current part's body ended.
        case partEnd
    }

    /// Bounds on what a client may send around the file; each refusal names the bound.
    public struct Limits: Sendable {
        /// Longest header line of a part (`Content-Disposition` with its file name, say).
        public var maxHeaderLineBytes = 8 * 1024
        /// Largest header block of a part, all its lines together.
        public var maxHeaderBlockBytes = 16 * 1024
        /// Most parts in one body.
        public var maxParts = 16

        public init() {}
    }

    /// Why a body is not acceptable `multipart/form-data`.
    public struct Malformed: Error, Equatable {
        public let message: String
    }

    private enum State {
        /// Before the first delimiter; these bytes are ignored.
        case preamble
        /// Just after a delimiter: `--` ends the body, `\r\n` starts a part's headers.
        case afterDelimiter(seen: [UInt8])
        case headers
        case body
        /// After the closing delimiter; these bytes are ignored.
        case epilogue
    }

    private let delimiter: [UInt8]
    private let limits: Limits
    private var state = State.preamble
    /// Bytes at the end of what arrived that may be the start of a delimiter: held back until the next chunk says.
    private var carry: [UInt8]
    private var headerBlock: [UInt8] = []
    private var parts = 0

    public init(boundary: String, limits: Limits = Limits()) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.limits = limits
        // The first delimiter may open the body without the CRLF every later one has: pretend the body began with it.
        carry = [13, 10]
    }

    /// True once the closing delimiter has been read.
    public var isComplete: Bool {
        if case .epilogue = state { return true }
        return false
    }

    /// Parses `chunk`, appending what it found to `events`; `.body` ranges index into `chunk`.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, into events: inout [Event]) throws(Malformed) {
        var rest = Cursor(bytes: chunk)
        while rest.readableBytes > 0 {
            switch state {
            case .epilogue:
                return
            case .preamble, .body:
                try scanForDelimiter(&rest, into: &events)
            case .afterDelimiter(var seen):
                while seen.count < 2, let byte = rest.readByte() { seen.append(byte) }
                guard seen.count == 2 else {
                    state = .afterDelimiter(seen: seen)
                    return
                }
                switch (seen[0], seen[1]) {
                case (45, 45): // "--": the closing delimiter
                    state = .epilogue
                case (13, 10):
                    guard parts < limits.maxParts else {
                        throw Malformed(message: "the body has more than \(limits.maxParts) parts")
                    }
                    parts += 1
                    headerBlock.removeAll(keepingCapacity: true)
                    state = .headers
                default:
                    throw Malformed(message: "a delimiter must be followed by CRLF or '--'")
                }
            case .headers:
                try readHeaders(&rest, into: &events)
            }
        }
    }

    /// Checks that the body ended where it may: after the closing delimiter.
    public func finish() throws(Malformed) {
        guard isComplete else { throw Malformed(message: "the body ends before its closing delimiter") }
    }

    private mutating func readHeaders(_ rest: inout Cursor, into events: inout [Event]) throws(Malformed) {
        // The end of the block may straddle chunks: look again from three bytes before what is new.
        let searchFrom = max(0, headerBlock.count - 3)
        let room = limits.maxHeaderBlockBytes + 4 - headerBlock.count
        let take = min(rest.readableBytes, max(room, 0))
        headerBlock += rest.view.prefix(take)
        guard let end = Self.endOfHeaders(headerBlock, from: searchFrom) else {
            rest.moveReaderIndex(forwardBy: take)
            // Only once the block could not end within its bound (its blank line included), so the verdict is the
            // same however the body was cut into chunks (the fuzzer found a body where it was not).
            if headerBlock.count >= limits.maxHeaderBlockBytes + 4 {
                throw Malformed(message: "a part's headers are larger than \(limits.maxHeaderBlockBytes) bytes")
            }
            return
        }
        // Give back what came after the blank line: it is the body.
        rest.moveReaderIndex(forwardBy: take - (headerBlock.count - end))
        events.append(.part(try parseFields(headerBlock[..<end])))
        state = .body
    }

    /// The index just past the blank line that ends a header block (which may be empty).
    private static func endOfHeaders(_ block: [UInt8], from start: Int) -> Int? {
        if block.count >= 2, block[0] == 13, block[1] == 10 { return 2 }
        var index = start
        while index + 3 < block.count {
            if block[index] == 13, block[index + 1] == 10, block[index + 2] == 13, block[index + 3] == 10 {
                return index + 4
            }
            index += 1
        }
        return nil
    }

    private func parseFields(_ block: ArraySlice<UInt8>) throws(Malformed) -> [String: String] {
        var fields: [String: String] = [:]
        for line in block.split(separator: 10, omittingEmptySubsequences: true) {
            guard line.last == 13 else { throw Malformed(message: "a part's header line does not end with CRLF") }
            let content = line.dropLast()
            if content.isEmpty { continue }
            guard content.count <= limits.maxHeaderLineBytes else {
                throw Malformed(message: "a part's header line is longer than \(limits.maxHeaderLineBytes) bytes")
            }
            guard let colon = content.firstIndex(of: 58), colon > content.startIndex,
                  content[..<colon].allSatisfy(Self.isTokenByte)
            else {
                throw Malformed(message: "a part's header line is not 'Name: value'")
            }
            let name = String(decoding: content[..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: content[content.index(after: colon)...], as: UTF8.self)
            fields[name] = value.trimmingCharacters(in: [" ", "\t"])
        }
        return fields
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Finds the next delimiter in `carry` + `rest`, emitting body bytes before it (in a part) and consuming it.
    private mutating func scanForDelimiter(_ rest: inout Cursor, into events: inout [Event]) throws(Malformed) {
        if !carry.isEmpty {
            // A delimiter may begin in the held-back bytes and end in this chunk.
            let count = rest.readableBytes
            let head = rest.view.prefix(delimiter.count)
            for start in carry.indices {
                let held = carry[start...]
                let needed = delimiter.count - held.count
                guard delimiter.starts(with: held) else { continue }
                if head.count >= needed {
                    guard head.prefix(needed).elementsEqual(delimiter[held.count...]) else { continue }
                    emitHeld(Array(carry[..<start]), into: &events)
                    rest.moveReaderIndex(forwardBy: needed)
                    carry.removeAll(keepingCapacity: true)
                    delimiterFound(into: &events)
                    return
                }
                guard delimiter[held.count...].starts(with: head) else { continue }
                // Still only a possible start: everything of this chunk joins the held-back bytes.
                emitHeld(Array(carry[..<start]), into: &events)
                carry = Array(held) + head
                rest.moveReaderIndex(forwardBy: count)
                return
            }
            emitHeld(carry, into: &events)
            carry.removeAll(keepingCapacity: true)
        }
        let (match, length) = Self.search(delimiter, in: UnsafeRawBufferPointer(rebasing: rest.view))
        guard let match else {
            emitBody(rest.index..<rest.end, into: &events)
            rest.moveReaderIndex(forwardBy: rest.readableBytes)
            return
        }
        emitBody(rest.index..<(rest.index + match), into: &events)
        rest.moveReaderIndex(forwardBy: match)
        if length == delimiter.count {
            rest.moveReaderIndex(forwardBy: length)
            delimiterFound(into: &events)
        } else {
            // A possible delimiter runs to the end of the chunk: hold it back.
            carry = Array(rest.view)
            rest.moveReaderIndex(forwardBy: rest.readableBytes)
        }
    }

    private mutating func delimiterFound(into events: inout [Event]) {
        if case .body = state { events.append(.partEnd) }
        state = .afterDelimiter(seen: [])
    }

    private func emitBody(_ range: Range<Int>, into events: inout [Event]) {
        guard case .body = state, !range.isEmpty else { return }
        events.append(.body(range))
    }

    private func emitHeld(_ bytes: [UInt8], into events: inout [Event]) {
        guard case .body = state, !bytes.isEmpty else { return }
        events.append(.heldBody(bytes))
    }

    /// Where parsing stands in the chunk being fed.
    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var end: Int { bytes.count }
        var readableBytes: Int { bytes.count - index }
        var view: Slice<UnsafeRawBufferPointer> { bytes[index...] }

        mutating func readByte() -> UInt8? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func moveReaderIndex(forwardBy count: Int) { index += count }
    }

    /// The first place `needle` starts in `haystack`, and how much of it is there: all of it, or the part that
    /// runs to the end of `haystack`. Nil when it starts nowhere.
    public static func search(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> (Int?, Int) {
        guard let base = haystack.baseAddress, haystack.count > 0 else { return (nil, 0) }
        let first = Int32(needle[0])
        var offset = 0
        while offset < haystack.count {
            guard let found = memchr(base + offset, first, haystack.count - offset) else { return (nil, 0) }
            let index = base.distance(to: UnsafeRawPointer(found))
            let available = min(needle.count, haystack.count - index)
            var matched = 1
            while matched < available, haystack[index + matched] == needle[matched] { matched += 1 }
            if matched == available { return (index, available) }
            offset = index + 1
        }
        return (nil, 0)
    }
}
