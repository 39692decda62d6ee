import Foundation
import Testing

/// The web gallery in a real headless Chromium (Debian's chromium and chromium-driver, driven by Selenium from
/// PyPI): `Tests/Browser/gallery.py` walks it as a member does. Its screenshot lands in `.build/artifacts`.
@Suite(.timeLimit(.minutes(5))) struct GalleryBrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func aMemberSignsInFiltersPreviewsDropsAndSeesOthersLive() async throws {
        let python = Self.root + "/.build-tools/venv/bin/python"
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "scripts/setup installs chromium-driver")
        let world = try await World.make()
        _ = try await world.carol.upload(try RealPhotos.bytes(RealPhotos.baseline), room: world.room, name: "dune.jpg")
        _ = try await world.carol.upload(Array("Minutes of the kickoff.\nThe penalty clause applies after thirty days.\n".utf8),
                                         room: world.room, name: "notes.txt")
        _ = try await world.fred.upload(Array("text".utf8), room: world.room, name: "draft.txt")
        // A second room, for moving between rooms from the keyboard.
        #expect(try await world.carol.json(.POST, "/v1/rooms", ["name": "Design Review", "members": ["fred"]]).status == 201)
        let artifacts = Self.root + "/.build/artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let arguments = [
            Self.root + "/Tests/Browser/gallery.py", "--base", world.tackd.base, "--fred", world.fred.token!,
            "--carol", world.carol.token!, "--room", world.room, "--artifacts", artifacts,
        ]
        // Off the cooperative pool: the browser takes a while, and a blocked pool thread stalls other tests.
        let (status, output) = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try runProgram(python, arguments, environment: ProcessInfo.processInfo.environment, directory: artifacts)
                })
            }
        }
        #expect(status == 0, "\(output.suffix(6000))")
        #expect(output.contains("gallery: signed in"))
        #expect(FileManager.default.fileExists(atPath: artifacts + "/gallery.png"))
    }
}
