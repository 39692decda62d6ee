import Foundation
import Testing
import TackCore
import TackSpawn
import TackTestSupport

/// `tackd preview` read two ways: the service's own arguments, which the worker reads without ArgumentParser, and
/// any other spelling, which ArgumentParser reads. Both make the same thumbnail and say the same; a wrong request is
/// still explained in ArgumentParser's words.
@Suite(.timeLimit(.minutes(10)), .ownThread) struct PreviewCommandTests {
    func run(_ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let (out, err) = (Pipe(), Pipe())
        let process = try ChildProcess.run(Tackd.binary, arguments, input: .null, output: .pipe(out), error: .pipe(err))
        let watchdog = Watchdog(process, limit: .seconds(120), name: "tackd preview")
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try watchdog.finish()
        return (process.terminationStatus, stdout, stderr)
    }

    @Test func theServicesArgumentsAndAnyOtherSpellingMakeTheSameThumbnail() throws {
        let folder = NSTemporaryDirectory() + "preview-command-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pdf = "\(folder)/layout.pdf"
        try Data(try Documents.write("pdf", PDFPreviewTests.twoPages)).write(to: URL(fileURLWithPath: pdf))

        let request = PreviewRequest(input: pdf, output: "\(folder)/fast.jpg", format: .pdfPage, size: 320, thumbnail: 320)
        let fast = try run(["preview"] + request.workerArguments)
        // As a person might write it: `--name=value`, options after the files, no `--`.
        let spelled = try run(["preview", pdf, "\(folder)/spelled.jpg", "--format=pdf-page", "--size=320", "--thumbnail=320"])
        #expect(fast.status == 0 && spelled.status == 0, "\(fast.stderr) \(spelled.stderr)")
        let answers = try [fast.stdout, spelled.stdout].map { try #require(JSONSerialization.jsonObject(with: $0) as? NSDictionary) }
        #expect(answers[0] == answers[1])
        #expect((answers[0]["facts"] as? [String: Any])?["pages"] as? Int == 2, "\(answers[0])")
        #expect((answers[0]["thumbnail"] as? [String: Any])?["height"] as? Int == 320, "\(answers[0])")
        let made = try ["fast", "spelled"].map { try #require(FileManager.default.contents(atPath: "\(folder)/\($0).jpg")) }
        #expect(made[0] == made[1] && made[0].starts(with: [0xFF, 0xD8]))
        // The worker's private folder and its picture are gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["fast.jpg", "layout.pdf", "spelled.jpg"])

        let wrong = try run(["preview", "--format", "pdf-page", "--size", "8", "--", pdf, "\(folder)/page.ppm"])
        #expect(wrong.status == 64 && wrong.stderr.contains("--size must be 16 to 4096"), "\(wrong.status) \(wrong.stderr)")
        let damaged = "\(folder)/damaged.pdf"
        try Data("%PDF-1.4\nnot really".utf8).write(to: URL(fileURLWithPath: damaged))
        let refused = try run(["preview"] + PreviewRequest(input: damaged, output: "\(folder)/d.jpg", format: .pdfPage,
                                                           size: 320, thumbnail: 320).workerArguments)
        #expect(refused.status == 3 && String(decoding: refused.stdout, as: UTF8.self).contains("pdftoppm"),
                "\(refused.status) \(String(decoding: refused.stdout, as: UTF8.self))")
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/d.jpg"))
    }
}
