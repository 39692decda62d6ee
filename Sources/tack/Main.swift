import ArgumentParser
import Foundation

/// Runs the command and turns every failure into one plain line on stderr and its exit code.
@main
enum Main {
    static func main() {
        do {
            var command = try Tack.parseAsRoot()
            try command.run()
            exit(ExitStatus.done.rawValue)
        } catch let failure as Failure {
            Console.log(failure.message)
            exit(failure.status.rawValue)
        } catch {
            if Tack.exitCode(for: error) == .success {
                print(Tack.fullMessage(for: error))
                exit(ExitStatus.done.rawValue)
            }
            Console.log("\(Tack.message(for: error)) (see tack --help)")
            exit(ExitStatus.usage.rawValue)
        }
    }
}

/// The desktop helper: captures the screen and sends captures and files into rooms.
struct Tack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tack",
        abstract: "Capture the screen and share captures and files in Tack rooms.",
        discussion: """
            Exit codes: 0 done, 1 selection cancelled, 2 usage, 3 queued (server unreachable), \
            4 refused by the server, 5 bad local input, 6 X display error.
            """,
        subcommands: [Login.self, Shot.self, Put.self, Rooms.self, List.self, Search.self, Watch.self, Get.self, Link.self, Monitors.self,
                      OutboxCommand.self]
    )
}
