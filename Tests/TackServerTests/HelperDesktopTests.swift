import Foundation
import TackCore
import TackImage
import TackTestSupport
import Testing

/// `tack shot` on a desktop: a notification on the session bus when a capture is sent or queued, and the image
/// itself on the clipboard with `--copy-image`. Run under Xvfb and a private session bus (dbus-run-session), with
/// dbus-monitor recording what reaches org.freedesktop.Notifications.
@Suite(.timeLimit(.minutes(5))) struct HelperDesktopTests {
    /// Runs tack inside its own session bus and returns its outcome and what the monitor saw.
    func shotOnABus(_ helper: Helper, _ arguments: [String], in folder: String) async throws -> (Int32, String) {
        let monitor = "\(folder)/monitor-\(UUID().uuidString).txt"
        let tack = ([BuiltProducts.path("tack")] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let script = """
            dbus-monitor --session "interface='org.freedesktop.Notifications'" > '\(monitor)' 2>/dev/null &
            watcher=$!
            for _ in $(seq 50); do grep -q NameAcquired '\(monitor)' 2>/dev/null && break; sleep 0.1; done
            \(tack) > /dev/null 2>&1
            status=$?
            sleep 0.5
            kill $watcher
            wait $watcher
            exit $status
            """
        var bare = helper.environment
        bare["DBUS_SESSION_BUS_ADDRESS"] = nil
        let environment = bare
        let (status, output) = try await offThePool {
            // Through env --default-signal: the test process's threads block signals, and a bus daemon or monitor
            // inheriting that mask would shrug off the SIGTERM that ends it.
            try runProgram("/usr/bin/env", ["--default-signal", "dbus-run-session", "--", "sh", "-c", script],
                           environment: environment, limit: .seconds(90))
        }
        let seen = (try? String(contentsOfFile: monitor, encoding: .utf8)) ?? ""
        _ = output
        return (status, seen)
    }

    @Test func aSentOrQueuedCaptureIsAnnounced() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/gdbus"), "run scripts/setup (libglib2.0-bin)")
        let world = try await World.make()
        let screen = try VirtualScreen()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token, display: screen.display)
        let (sent, announced) = try await shotOnABus(helper, ["shot", "--region", "40x30+5+5", "--room", world.room], in: helper.home)
        #expect(sent == 0)
        let items = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        let id = try #require(items?.first?["id"] as? String)
        #expect(announced.contains("member=Notify"), "\(announced)")
        #expect(announced.contains("string \"Screenshot sent to \(world.room)\""))
        #expect(announced.contains("string \"tack\"") && announced.contains("int32 6000"), "typed as Notify(susssasa{sv}i)")
        #expect(announced.contains("string \"\(world.tackd.base)/attachments/\(id)\""), "the link a member opens")

        let (_, silent) = try await shotOnABus(helper, ["shot", "--region", "40x30+5+5", "--room", world.room, "--no-notify"], in: helper.home)
        #expect(!silent.contains("member=Notify"), "--no-notify: \(silent)")

        let down = try RefusingPort()
        var offline = helper
        offline.environment["TACK_SERVER"] = "http://127.0.0.1:\(down.port)"
        let (queued, told) = try await shotOnABus(offline, ["shot", "--region", "40x30+5+5", "--room", world.room, "--retries", "1"], in: helper.home)
        #expect(queued == 3, "exit 3: queued")
        #expect(told.contains("string \"Screenshot queued for \(world.room)\""), "\(told)")
    }

    /// With a room, `--copy-image` puts the capture itself on the clipboard (the bytes the room received); `--copy`
    /// still copies the link.
    @Test func copyImagePutsTheCaptureOnTheClipboard() async throws {
        let world = try await World.make()
        let screen = try VirtualScreen()
        let painter = try XPainter(screen.display)
        painter.fill(0, 0, 640, 480, 200, 20, 120)
        painter.show()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token, display: screen.display)
        let shot = try await helper.run(["shot", "--region", "30x20+5+5", "--room", world.room, "--copy-image", "--no-notify"])
        #expect(shot.status == 0, "\(shot)")
        let items = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        let id = try #require(items?.first?["id"] as? String)
        let stored = try await world.carol.request(.GET, "/v1/attachments/\(id)/content").body
        let clipboard = try await pastedImage(screen, folder: helper.home, expecting: stored)
        #expect(clipboard == stored)
        let image = try PNGCodec.decode(clipboard, limits: ImageLimits())
        #expect(image.width == 30 && image.pixel(3, 3) == [200, 20, 120, 255])
    }
}
