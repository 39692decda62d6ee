import Foundation
import TackSpawn

/// Desktop notifications: a `Notify` call to org.freedesktop.Notifications on the session bus, made with `gdbus`
/// (GLib's, on nearly every Linux desktop). A capture never fails for want of one: no session bus or no `gdbus`
/// only means no bubble.
enum Desktop {
    static func notify(summary: String, body: String) {
        let environment = ProcessInfo.processInfo.environment
        // Only where a session bus is: without one, GLib would try to start a bus of its own.
        let runtimeBus = environment["XDG_RUNTIME_DIR"].map { "\($0)/bus" }
        guard environment["DBUS_SESSION_BUS_ADDRESS"] != nil || runtimeBus.map(FileManager.default.fileExists) == true else { return }
        guard let tool = executable("gdbus") else { return }
        // Every argument in GVariant's text form with its type, so the call is the same whether or not the
        // notification server can be asked for its signature: Notify(susssasa{sv}i).
        let arguments = [
            "call", "--session", "--dest", "org.freedesktop.Notifications", "--object-path", "/org/freedesktop/Notifications",
            "--method", "org.freedesktop.Notifications.Notify",
            variant("tack"), "uint32 0", variant("camera-photo"), variant(summary), variant(body), "@as []", "@a{sv} {}", "int32 6000",
        ]
        guard let process = try? ChildProcess.run(tool, arguments, input: .null, output: .null, error: .null) else { return }
        // The call returns as soon as the server answers; a wedged bus must not hold tack up.
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Where `name` is on PATH, if the desktop has it.
    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A GVariant string literal: single-quoted, with backslashes and quotes escaped.
    static func variant(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
