import Testing
import TackCore

/// The arguments tackd's preview worker is started with, written by the service and read back by the worker without
/// ArgumentParser: every request the service can make reads back as itself, and anything else is left to
/// ArgumentParser (nil), never read differently.
@Suite struct PreviewRequestTests {
    static let requests = [
        PreviewRequest(input: "/s/in.pdf", output: "/s/out.jpg", format: .pdfPage, size: 320, thumbnail: 320),
        PreviewRequest(input: "/s/talk.mp4", output: "/s/out.jpg", format: .videoFrame, contentType: "video/mp4", size: 640,
                       maxMemory: 512 << 20, maxSeconds: 7, maxPixels: 40_000_000, thumbnail: 96, method: .crop, threads: 3),
        PreviewRequest(input: "song.ogg", output: "wave.ppm", format: .waveform, contentType: "audio/ogg", size: 1024),
        PreviewRequest(input: "/a b/photo.heic", output: "/a b/-out.ppm", format: .heifImage, contentType: "image/heic",
                       size: 16, maxPixels: 1),
    ]

    @Test(arguments: requests) func whatTheServiceWritesReadsBackAsItself(_ request: PreviewRequest) {
        #expect(PreviewRequest(workerArguments: request.workerArguments) == request)
        #expect(request.workerArguments.starts(with: request.options))
    }

    @Test func optionsReadInAnyOrderAndAbsentOnesKeepTheirDefaults() {
        let request = Self.requests[1]
        var pairs = stride(from: 0, to: request.workerArguments.count - 3, by: 2).map { Array(request.workerArguments[$0...$0 + 1]) }
        pairs.reverse()
        #expect(PreviewRequest(workerArguments: pairs.flatMap { $0 } + ["--", request.input, request.output]) == request)
        #expect(PreviewRequest(workerArguments: ["--format", "pdf-page", "--", "in.pdf", "out.ppm"])
            == PreviewRequest(input: "in.pdf", output: "out.ppm", format: .pdfPage, contentType: "application/pdf", size: 640,
                              maxMemory: 2 << 30, maxSeconds: 30, maxPixels: 100_000_000, thumbnail: nil, method: .scale, threads: 2))
    }

    @Test(arguments: [
        ["--help"], ["-h", "--format", "pdf-page", "--", "a", "b.ppm"],
        ["--format", "pdf-page", "a", "b.ppm"],  // no `--`
        ["--format", "pdf-page", "--", "a"], ["--format", "pdf-page", "--", "a", "b.ppm", "c"],
        ["--", "a", "b.ppm"],  // no format
        ["--format", "pdf", "--", "a", "b.ppm"], ["--format", "image", "--", "a", "b.ppm"],
        ["--format", "pdf-page", "--format", "pdf-page", "--", "a", "b.ppm"],  // twice
        ["--format", "pdf-page", "--size=320", "--", "a", "b.ppm"], ["--format", "pdf-page", "--sise", "320", "--", "a", "b.ppm"],
        ["--format", "pdf-page", "--size"], ["--format", "pdf-page", "--size", "big", "--", "a", "b.ppm"],
        ["--format", "pdf-page", "--size", "8", "--", "a", "b.ppm"], ["--format", "pdf-page", "--threads", "0", "--", "a", "b.ppm"],
        ["--format", "pdf-page", "--thumbnail", "", "--", "a", "b.jpg"], ["--format", "pdf-page", "--thumbnail", "5000", "--", "a", "b"],
        ["--format", "pdf-page", "--", "a", "b.jpg"],  // a picture must be a PPM
        ["--format", "pdf-page", "--method", "fill", "--thumbnail", "9", "--", "a", "b"],
        ["--format", "pdf-page", "--max-pixels", "0", "--", "a", "b.ppm"],
        ["--format", "pdf-page", "--max-memory", "-1", "--", "a", "b.ppm"], ["--format", "pdf-page", "--max-seconds", "0", "--", "a", "b.ppm"],
        ["--format", "pdf-page", "--content-type", "-x", "--", "a", "b.ppm"],  // ArgumentParser takes no value that starts with -
    ]) func anythingElseIsLeftToArgumentParser(_ arguments: [String]) {
        #expect(PreviewRequest(workerArguments: arguments) == nil)
    }

    @Test func problemsAreSaidInTheCommandsWords() {
        var request = PreviewRequest(input: "a", output: "b.ppm", format: .pdfPage)
        #expect(request.problem == nil)
        request.size = 8
        #expect(request.problem == "--size must be 16 to 4096")
        request.size = 320
        request.output = "b.jpg"
        #expect(request.problem == "the output's name must end in .ppm")
        request.thumbnail = 320
        #expect(request.problem == nil)
    }

    @Test func pdfinfosPageCountIsItsPagesLine() {
        #expect(MediaFacts.pdfPages(fromPDFInfo: "Title:  x\nPages:          20\nEncrypted: no\n") == 20)
        #expect(MediaFacts.pdfPages(fromPDFInfo: "Pages:\t3\r\n") == 3)
        #expect(MediaFacts.pdfPages(fromPDFInfo: "Pages: 3 4\n") == nil)
        #expect(MediaFacts.pdfPages(fromPDFInfo: "Pages: -1\n") == nil)
        #expect(MediaFacts.pdfPages(fromPDFInfo: "Title: Pages: 5\n") == nil)
    }
}
