import Foundation

/// What ffmpeg said on stderr at `-loglevel level+info`: why it failed, and the input's facts it prints before it
/// decodes (the `Input #0` block: `Duration:` and one `Stream #0:N` line per stream).
///
/// The preview worker reads a video's or a recording's length, size and codec from the very run that draws its
/// picture, instead of a second program (ffprobe) opening the same untrusted file: ffprobe spent 140 ms of CPU
/// loading its libraries on every video. ffmpeg has printed this block in this shape for two decades; a line it
/// does not recognise leaves that fact out, as ffprobe's JSON did for what it could not read.
public struct FFmpegLog: Sendable, Equatable {
    /// The first line ffmpeg logged at level error or worse, without its level tag; nil when it logged none.
    public let reason: String?
    /// The input's length, if it has one.
    public let durationMilliseconds: Int64?
    /// The input's streams, in order.
    public let streams: [Stream]

    /// One `Stream #0:N: Video: h264 (High) ..., 1920x1080 ...` line.
    public struct Stream: Sendable, Equatable {
        public enum Kind: String, Sendable { case video, audio }
        public let kind: Kind
        /// The codec as ffmpeg names it (`h264`, `pcm_s16le`), the same as ffprobe's `codec_name`.
        public let codec: String
        public let width: Int?
        public let height: Int?
    }

    public init(_ text: String) {
        var reason: String?
        var duration: Int64?
        var streams: [Stream] = []
        var inInput = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let (level, message) = Self.split(rawLine) else { continue }
            if reason == nil, ["error", "fatal", "panic"].contains(level) { reason = message }
            guard level == "info" else { continue }
            // The block opens with `Input #0, mov,mp4,..., from '...'` and its lines are indented; the first line
            // that is not (`Stream mapping:`, `Output #0`) ends it, so the output's streams are never read.
            if message.hasPrefix("Input #0,") { inInput = true; continue }
            guard inInput else { continue }
            guard message.first == " " else { inInput = false; continue }
            let line = message.drop { $0 == " " }
            if line.hasPrefix("Duration:"), duration == nil {
                duration = Self.milliseconds(line.dropFirst("Duration:".count).prefix { $0 != "," })
            } else if line.hasPrefix("Stream #0:"), let stream = Self.stream(line) {
                streams.append(stream)
            }
        }
        self.reason = reason
        durationMilliseconds = duration
        self.streams = streams
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

    /// The level and the message of a line: `[info]   Duration: ...` or `[mov,mp4 @ 0x55] [error] moov atom not
    /// found` (the context tag is kept: it names the part of ffmpeg that spoke).
    static func split(_ line: Substring) -> (level: Substring, message: String)? {
        var rest = line
        var context: Substring = ""
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]"), rest[rest.startIndex..<close].contains(" @ ") {
            context = rest[...close]
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        }
        guard rest.hasPrefix("["), let close = rest.firstIndex(of: "]") else { return nil }
        let level = rest[rest.index(after: rest.startIndex)..<close]
        var message = rest[rest.index(after: close)...]
        if message.first == " " { message = message.dropFirst() }
        return (level, context.isEmpty ? String(message) : "\(context) \(message)")
    }

    /// `HH:MM:SS.cc` as milliseconds; nil for `N/A` or anything else.
    static func milliseconds<S: StringProtocol>(_ text: S) -> Int64? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":")
        guard parts.count == 3, let hours = Int64(parts[0]), let minutes = Int64(parts[1]),
              let seconds = Double(parts[2]), hours >= 0, hours < 1_000_000, (0..<60).contains(minutes),
              seconds >= 0, seconds < 60 else { return nil }
        return (hours * 3600 + minutes * 60) * 1000 + Int64((seconds * 1000).rounded())
    }

    /// `Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), 1920x1080 [SAR 1:1 ...`
    static func stream(_ line: Substring) -> Stream? {
        for kind in [Stream.Kind.video, .audio] {
            let tag = kind == .video ? ": Video: " : ": Audio: "
            guard let found = line.range(of: tag) else { continue }
            let rest = line[found.upperBound...]
            let codec = rest.prefix { $0 != " " && $0 != "," }
            guard !codec.isEmpty else { return nil }
            // The size is a field of its own, after a comma: `, 1920x1080`; a codec tag's `0x31637661` is not.
            var size: (Int, Int)?
            var search = rest[...]
            while size == nil, let comma = search.range(of: ", ") {
                let field = search[comma.upperBound...].prefix { $0 != " " && $0 != "," }
                let sides = field.split(separator: "x", omittingEmptySubsequences: false)
                if sides.count == 2, let width = Int(sides[0]), let height = Int(sides[1]), width > 0, height > 0,
                   sides.allSatisfy({ $0.first != "0" }) {
                    size = (width, height)
                }
                search = search[comma.upperBound...]
            }
            return Stream(kind: kind, codec: String(codec), width: size?.0, height: size?.1)
        }
        return nil
    }
}
