import Foundation

/// What ffmpeg said on stderr at `-loglevel level+info`: why it failed, and the input's facts it prints before it
/// decodes (the `Input #0` block: `Duration:` and one `Stream #0:N` line per stream).
///
/// The preview worker reads a video's or a recording's length, size and codec from the very run that draws its
/// picture, instead of a second program (ffprobe) opening the same untrusted file: ffprobe spent 140 ms of CPU
/// loading its libraries on every video. ffmpeg has printed this block in this shape for two decades.
///
/// The block is not escaped: a tag's value (a title, a track's language) may hold a newline and then anything,
/// `[info]` prefix included. So the block is believed only whole: one `Duration:` line, stream lines numbered
/// 0, 1, 2... once each, every one of the form `Stream #0:N[0x..](lang): Kind: codec...`, a codec named as ffmpeg
/// names codecs and a size below 65,536. A forged line then either breaks that shape (and the file has no facts)
/// or comes after every real stream, where it is never the first of its kind. A failure's reason is the file's
/// own words at worst, and is cut to `reasonLimit` characters.
public struct FFmpegLog: Sendable, Equatable {
    /// The first line ffmpeg logged at level error or worse, without its level tag; nil when it logged none.
    public let reason: String?
    /// The input's length, if it has one.
    public let durationMilliseconds: Int64?
    /// The input's streams, in order; empty when the block was not believed.
    public let streams: [Stream]

    /// The longest reason kept: it is stored with the file and shown to people.
    public static let reasonLimit = 300

    /// One `Stream #0:N: Video: h264 (High) ..., 1920x1080 ...` line.
    public struct Stream: Sendable, Equatable {
        public enum Kind: String, Sendable, CaseIterable {
            case video = "Video", audio = "Audio", subtitle = "Subtitle", data = "Data", attachment = "Attachment"
        }
        public let kind: Kind
        /// The codec as ffmpeg names it (`h264`, `pcm_s16le`), the same as ffprobe's `codec_name`.
        public let codec: String
        public let width: Int?
        public let height: Int?
    }

    public init(_ text: String) {
        var reason: String?
        var duration: Int64?
        var durationLines = 0
        var streams: [Stream] = []
        var believed = true
        var inInput = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let (level, message) = Self.split(rawLine) else { continue }
            if reason == nil, ["error", "fatal", "panic"].contains(level) { reason = String(message.prefix(Self.reasonLimit)) }
            guard level == "info" else { continue }
            // The block opens with `Input #0, mov,mp4,..., from '...'` and its lines are indented; the first line
            // that is not (`Stream mapping:`, `Output #0`) ends it, so the output's streams are never read.
            if message.hasPrefix("Input #0,") { inInput = true; continue }
            guard inInput else { continue }
            guard message.first == " " else { inInput = false; continue }
            let line = message.drop { $0 == " " }
            if line.hasPrefix("Duration:") {
                durationLines += 1
                duration = Self.milliseconds(line.dropFirst("Duration:".count).prefix { $0 != "," })
            } else if line.hasPrefix("Stream #0:") {
                guard let (index, stream) = Self.stream(line), index == streams.count else { believed = false; continue }
                streams.append(stream)
            }
        }
        believed = believed && durationLines <= 1
        self.reason = reason
        durationMilliseconds = believed ? duration : nil
        self.streams = believed ? streams : []
    }

    /// The facts of a file drawn as a `kind`: its first stream of that kind (its size, when it has one, and its
    /// codec) and the container's length. A recording's cover picture is a video stream too, and not its size.
    public func facts(of kind: Stream.Kind) -> MediaFacts? {
        guard let stream = streams.first(where: { $0.kind == kind }) else {
            return durationMilliseconds.map { MediaFacts(durationMilliseconds: $0) }
        }
        return MediaFacts(width: kind == .video ? stream.width : nil, height: kind == .video ? stream.height : nil,
                          durationMilliseconds: durationMilliseconds, codec: stream.codec)
    }

    /// The level and the message of a line: `[info]   Duration: ...` or `[h264 @ 0x55] [IMGUTILS @ 0x7f] [error]
    /// Picture size ... is invalid` (the context tags are kept: they name the part of ffmpeg that spoke).
    static func split(_ line: Substring) -> (level: Substring, message: String)? {
        var rest = line
        var contexts: [Substring] = []
        while rest.hasPrefix("["), let close = rest.firstIndex(of: "]"), rest[rest.startIndex..<close].contains(" @ ") {
            contexts.append(rest[...close])
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        }
        guard rest.hasPrefix("["), let close = rest.firstIndex(of: "]") else { return nil }
        let level = rest[rest.index(after: rest.startIndex)..<close]
        var message = rest[rest.index(after: close)...]
        if message.first == " " { message = message.dropFirst() }
        return (level, (contexts + [message]).joined(separator: " "))
    }

    /// `HH:MM:SS.cc` as milliseconds; nil for `N/A` or anything else.
    static func milliseconds<S: StringProtocol>(_ text: S) -> Int64? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":")
        guard parts.count == 3, let hours = Int64(parts[0]), let minutes = Int64(parts[1]),
              let seconds = Double(parts[2]), hours >= 0, hours < 1_000_000, (0..<60).contains(minutes),
              seconds >= 0, seconds < 60 else { return nil }
        return (hours * 3600 + minutes * 60) * 1000 + Int64((seconds * 1000).rounded())
    }

    /// `Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), 1920x1080 [SAR 1:1 ...`:
    /// its number and what it says; nil when it is not of that shape, to the letter.
    static func stream(_ line: Substring) -> (index: Int, stream: Stream)? {
        // A language holding `): Video: ...` would put the real kind later in the same line: exactly one kind, then.
        let kinds = Stream.Kind.allCases.reduce(0) { $0 + line.components(separatedBy: ": \($1.rawValue): ").count - 1 }
        guard kinds == 1 else { return nil }
        var rest = line.dropFirst("Stream #0:".count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 4, let index = Int(digits) else { return nil }
        rest = rest.dropFirst(digits.count)
        // The stream's id in the container, then its language: a tag, so only what a language code holds.
        if rest.hasPrefix("[0x") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(rest.startIndex, offsetBy: 3)..<close].allSatisfy(\.isHexDigit)
            else { return nil }
            rest = rest[rest.index(after: close)...]
        }
        if rest.hasPrefix("(") {
            guard let close = rest.firstIndex(of: ")"),
                  rest[rest.index(after: rest.startIndex)..<close].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            else { return nil }
            rest = rest[rest.index(after: close)...]
        }
        guard rest.hasPrefix(": "), let kindEnd = rest.dropFirst(2).firstIndex(of: ":"),
              let kind = Stream.Kind(rawValue: String(rest[rest.index(rest.startIndex, offsetBy: 2)..<kindEnd])) else { return nil }
        rest = rest[rest.index(after: kindEnd)...].drop { $0 == " " }
        let codec = rest.prefix { $0 != " " && $0 != "," }
        guard (1...32).contains(codec.count), codec.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else { return nil }
        // The size is a field of its own, after a comma: `, 1920x1080`; a codec tag's `0x31637661` is not.
        var size: (Int, Int)?
        var search = rest.dropFirst(codec.count)
        while size == nil, let comma = search.range(of: ", ") {
            let field = search[comma.upperBound...].prefix { $0 != " " && $0 != "," }
            let sides = field.split(separator: "x", omittingEmptySubsequences: false)
            if sides.count == 2, sides.allSatisfy({ (1...5).contains($0.count) && $0.first != "0" && $0.allSatisfy(\.isNumber) }),
               let width = Int(sides[0]), let height = Int(sides[1]), width < 65536, height < 65536 {
                size = (width, height)
            }
            search = search[comma.upperBound...]
        }
        return (index, Stream(kind: kind, codec: String(codec), width: size?.0, height: size?.1))
    }
}
