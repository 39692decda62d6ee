/// Writes the JSON of the API's hot answers (attachments, rooms, messages and their pages) straight into bytes.
///
/// The output is byte for byte what `JSONBody.encoder()` makes of the same value's `Encodable` form (keys sorted,
/// `/` unescaped, control characters as Foundation writes them), which `JSONWriterTests` checks on hostile strings.
/// It exists because JSONEncoder boxes every value on the way: it was half of what a page of 50 attachments cost
/// (perf, random cursors over a room of 100,000).
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// One entry per open object or array: whether a member has been written in it (so the next needs a comma).
    private var hasMember: [Bool] = []

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    /// The JSON of `value`.
    static func bytes(of value: some JSONWritable, capacity: Int = 1024) -> [UInt8] {
        var writer = JSONWriter(capacity: capacity)
        value.write(to: &writer)
        return writer.bytes
    }

    // MARK: Structure

    /// Writes an object; `members` writes its fields, in sorted key order.
    mutating func object(_ members: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        hasMember.append(false)
        members(&self)
        hasMember.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func array<Element: JSONWritable>(_ elements: [Element]) {
        separate()
        bytes.append(UInt8(ascii: "["))
        hasMember.append(false)
        for element in elements { element.write(to: &self) }
        hasMember.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// A field; a nil value leaves the field out, as synthesized `Encodable` conformances do.
    mutating func field(_ key: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        self.key(key)
        value.write(to: &self)
    }

    /// A field written as `null` when the value is nil.
    mutating func fieldOrNull(_ key: StaticString, _ value: (some JSONWritable)?) {
        self.key(key)
        if let value { value.write(to: &self) } else { scalar("null") }
    }

    private mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        // The value that follows is this member, not another one.
        hasMember[hasMember.count - 1] = false
    }

    /// A comma before every member but the first of its object or array.
    private mutating func separate() {
        guard let last = hasMember.indices.last else { return }
        if hasMember[last] { bytes.append(UInt8(ascii: ",")) }
        hasMember[last] = true
    }

    // MARK: Values

    mutating func scalar(_ text: StaticString) {
        separate()
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func integer(_ value: some BinaryInteger) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for (index, byte) in utf8.enumerated() {
                guard let escaped = Self.escape(byte) else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                bytes.append(contentsOf: escaped)
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// How Foundation's JSONEncoder writes a byte that cannot stand as itself in a string; nil for one that can.
    /// Bytes of multi-byte UTF-8 sequences are all 0x80 or more, so they pass through whole.
    private static func escape(_ byte: UInt8) -> [UInt8]? {
        switch byte {
        case UInt8(ascii: "\""): Array("\\\"".utf8)
        case UInt8(ascii: "\\"): Array("\\\\".utf8)
        case 0x08: Array("\\b".utf8)
        case 0x0C: Array("\\f".utf8)
        case 0x0A: Array("\\n".utf8)
        case 0x0D: Array("\\r".utf8)
        case 0x09: Array("\\t".utf8)
        case 0x00..<0x20: Array("\\u00".utf8) + hexDigits(byte)
        default: nil
        }
    }

    private static func hexDigits(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
    }
}

/// A value `JSONWriter` can write.
protocol JSONWritable {
    func write(to json: inout JSONWriter)
}

extension String: JSONWritable {
    func write(to json: inout JSONWriter) { json.string(self) }
}

extension Int: JSONWritable {
    func write(to json: inout JSONWriter) { json.integer(self) }
}

extension Int64: JSONWritable {
    func write(to json: inout JSONWriter) { json.integer(self) }
}

extension Bool: JSONWritable {
    func write(to json: inout JSONWriter) { json.scalar(self ? "true" : "false") }
}

extension Array: JSONWritable where Element: JSONWritable {
    func write(to json: inout JSONWriter) { json.array(self) }
}
