import Foundation
import Testing
import TackTestSupport
import TackImage
import TackSpawn

/// `tackd thumbnail`, the operators' and benchmarks' door to the thumbnail code.
@Suite(.timeLimit(.minutes(10)), .ownThread) struct ThumbnailCommandTests {
    func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let err = Pipe()
        let process = try ChildProcess.run(Tackd.binary, ["thumbnail"] + arguments, input: .null, output: .null, error: .pipe(err))
        let watchdog = Watchdog(process, limit: .seconds(120), name: "tackd thumbnail")
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try watchdog.finish()
        return (process.terminationStatus, stderr)
    }

    @Test func writesAThumbnailOrSaysWhyNot() throws {
        let folder = NSTemporaryDirectory() + "tack-thumb-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = "\(folder)/in.png"
        try Data(try PNGCodec.encode(RGBAImage(width: 900, height: 600, fill: (200, 30, 30, 255)))).write(to: URL(fileURLWithPath: input))

        let ok = try run([input, "\(folder)/out.jpg", "--size", "300"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let made = try #require(FileManager.default.contents(atPath: "\(folder)/out.jpg"))
        let decoded = try JPEGCodec.decode(Array(made), limits: ImageLimits())
        #expect((decoded.width, decoded.height) == (300, 200))

        try Data(pseudoRandomBytes(5000, seed: 1)).write(to: URL(fileURLWithPath: "\(folder)/noise.png"))
        for (arguments, expected) in [
            (["\(folder)/noise.png", "\(folder)/x.jpg", "--size", "64"], "PNG and JPEG"),
            (["\(folder)/missing.png", "\(folder)/x.jpg", "--size", "64"], "cannot read"),
            ([input, "\(folder)/x.jpg", "--size", "64", "--max-pixels", "1000"], "limit"),
        ] {
            let failed = try run(arguments)
            #expect(failed.status != 0)
            #expect(failed.stderr.split(separator: "\n").count == 1, "one plain line: \(failed.stderr)")
            #expect(failed.stderr.contains(expected), "\(failed.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/x.jpg"), "a failure writes nothing")
    }
}
