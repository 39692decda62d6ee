/// What `tackd preview` is asked to make: the picture of a PDF's page, a video's frame, a waveform or a HEIF image,
/// or the thumbnail made of it. The service writes it as the worker's arguments (`options`, then the limits and the
/// files its `WorkerProcess` adds), and the worker reads them back with `init?(workerArguments:)`, without
/// ArgumentParser: there, each first check of a type against a protocol scans the 11,000 conformances of a binary
/// of tackd's size, and parsing cost 7 ms of a worker that runs once per file.
public struct PreviewRequest: Sendable, Equatable {
    public var input: String
    /// The PPM to write (a name ending in `.ppm`), or the thumbnail when `thumbnail` is set.
    public var output: String
    public var format: PreviewSource
    public var contentType: String
    /// Pixels on the picture's longer side.
    public var size: Int
    /// Bytes of address space the worker may use.
    public var maxMemory: Int
    /// Seconds of CPU the worker may use.
    public var maxSeconds: Int
    /// Most pixels a decoded image may declare.
    public var maxPixels: Int
    /// The thumbnail's size, when the worker makes one of the picture.
    public var thumbnail: Int?
    public var method: ThumbnailMethod
    /// Threads ffmpeg decodes a video with.
    public var threads: Int

    public init(input: String, output: String, format: PreviewSource, contentType: String = "application/pdf",
                size: Int = 640, maxMemory: Int = 2 << 30, maxSeconds: Int = 30, maxPixels: Int = 100_000_000,
                thumbnail: Int? = nil, method: ThumbnailMethod = .scale, threads: Int = 2) {
        self.input = input
        self.output = output
        self.format = format
        self.contentType = contentType
        self.size = size
        self.maxMemory = maxMemory
        self.maxSeconds = maxSeconds
        self.maxPixels = maxPixels
        self.thumbnail = thumbnail
        self.method = method
        self.threads = threads
    }

    /// What is wrong with the request, in the words `tackd preview` prints; nil when it can be carried out.
    public var problem: String? {
        if !(16...4096).contains(size) { return "--size must be 16 to 4096" }
        if !(1...1_000_000_000).contains(maxPixels) { return "--max-pixels must be 1 to 1000000000" }
        if !(1...16).contains(threads) { return "--threads must be 1 to 16" }
        // A limit below 1 would be a negative rlimit, which no process can set.
        if maxMemory < 1 { return "--max-memory must be at least 1" }
        if maxSeconds < 1 { return "--max-seconds must be at least 1" }
        if let thumbnail {
            if !(1...4096).contains(thumbnail) { return "--thumbnail must be 1 to 4096" }
        } else if !output.hasSuffix(".ppm") {
            return "the output's name must end in .ppm"
        }
        if format == .image {
            return "images are thumbnailed by tackd itself; --format is pdf-page, video-frame, waveform or heif-image"
        }
        return nil
    }

    /// The options the service passes, but for the limits and the files (`WorkerProcess` adds those).
    public var options: [String] {
        var options = ["--format", format.rawValue, "--content-type", contentType, "--size", String(size),
                       "--max-pixels", String(maxPixels), "--threads", String(threads)]
        if let thumbnail { options += ["--thumbnail", String(thumbnail)] }
        return options + ["--method", method.rawValue]
    }

    /// All of the worker's arguments after `preview`, as `WorkerProcess` writes them.
    public var workerArguments: [String] {
        WorkerCommandLine.arguments(options: options, maxMemory: maxMemory, maxSeconds: maxSeconds, files: [input, output])
    }

    /// Reads the arguments after `preview` when they have exactly the service's shape: each known option once, as
    /// `--name value`, then `--` and the two files, every value readable and the whole request sound. Anything else
    /// (`--help`, a typo, a missing value, a problem) is nil, for ArgumentParser to read and explain.
    public init?(workerArguments arguments: [String]) {
        // Options in the order `workerArguments` writes them; no Set or Dictionary, whose first use would look up
        // String's Hashable conformance by the very scan this parser is here to avoid.
        let names = ["--format", "--content-type", "--size", "--max-pixels", "--threads", "--thumbnail", "--method",
                     "--max-memory", "--max-seconds"]
        var values = [String?](repeating: nil, count: names.count)
        var rest = arguments[...]
        while let name = rest.popFirst(), name != "--" {
            // A value that starts with `-` is one ArgumentParser would not take as a value: it decides.
            guard let index = names.firstIndex(of: name), values[index] == nil, let value = rest.popFirst(),
                  !value.hasPrefix("-") else { return nil }
            values[index] = value
        }
        guard rest.count == 2, let input = rest.first, let output = rest.last,
              let format = values[0].flatMap(PreviewSource.init(rawValue:)) else { return nil }
        self.init(input: input, output: output, format: format)
        // A value absent keeps its default; one present must read.
        func read<Value>(_ index: Int, _ parse: (String) -> Value?, into field: inout Value) -> Bool {
            guard let text = values[index] else { return true }
            guard let value = parse(text) else { return false }
            field = value
            return true
        }
        guard read(1, { $0 }, into: &contentType), read(2, { Int($0) }, into: &size), read(3, { Int($0) }, into: &maxPixels),
              read(4, { Int($0) }, into: &threads), read(5, { Int($0).map(Optional.some) }, into: &thumbnail),
              read(6, ThumbnailMethod.init(rawValue:), into: &method), read(7, { Int($0) }, into: &maxMemory),
              read(8, { Int($0) }, into: &maxSeconds), problem == nil else { return nil }
    }
}

/// The arguments of a tackd worker (`tackd text`, `tackd preview`) after its command name: the one shape the service
/// writes and `PreviewRequest` reads back.
public enum WorkerCommandLine {
    /// `options`, the limits the worker sets on itself, `--`, then the files.
    public static func arguments(options: [String], maxMemory: Int, maxSeconds: Int, files: [String]) -> [String] {
        options + ["--max-memory", String(maxMemory), "--max-seconds", String(maxSeconds), "--"] + files
    }
}
