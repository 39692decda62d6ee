import Foundation
import TackSpawn
import Testing
import TackTestSupport

/// Real programs (sh, sleep, pwd) started the way tack and tackd start theirs.
@Suite(.timeLimit(.minutes(10)), .ownThread) struct ChildProcessTests {
    func output(of pipe: Pipe) -> String {
        String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// What a descriptor of this process is (`pipe:[1234]`), as /proc names it.
    func target(_ fd: Int32) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")
    }

    /// Descriptors the parent has open (not close-on-exec, as Foundation's pipes are not) stay out of the child: a
    /// long-lived child holding one would keep its pipe from ever ending for whoever reads it.
    @Test func theChildGetsOnlyItsThreeDescriptors() throws {
        let bystander = Pipe()
        let listing = Pipe()
        // What the shell itself has open, by what each descriptor is (numbers could be reused); the descriptor the
        // glob read the folder through is gone by the time readlink looks, hence the `true`.
        let child = try ChildProcess.run("/bin/sh", ["-c", "for f in /proc/$$/fd/*; do readlink \"$f\"; done; true"],
                                         input: .null, output: .pipe(listing), error: .null)
        let open = output(of: listing).split(separator: "\n").map(String.init)
        child.waitUntilExit()
        #expect(child.terminationReason == .exit && child.terminationStatus == 0)
        #expect(open.count == 3 && open[0] == "/dev/null", "\(open)")
        let leaked = try target(bystander.fileHandleForReading.fileDescriptor)
        #expect(!open.contains(leaked), "the bystander pipe leaked into the child: \(open)")

        // The same with a child that outlives the pipe's writer: the reader still sees the end at once.
        let sleeper = try ChildProcess.run("/bin/sleep", ["30"], input: .null, output: .null, error: .null)
        defer { sleeper.signal(SIGKILL); sleeper.waitUntilExit() }
        try bystander.fileHandleForWriting.close()
        #expect(bystander.fileHandleForReading.readDataToEndOfFile().isEmpty)
    }

    /// A child started from a thread that blocks SIGTERM (as Swift's and Dispatch's threads block some) still
    /// receives it: terminate() works.
    @Test func theChildStartsWithNoSignalBlocked() throws {
        var blocked = sigset_t(), previous = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        let child = try ChildProcess.run("/bin/sleep", ["30"], input: .null, output: .null, error: .null)
        child.terminate()
        let deadline = ContinuousClock.now + .seconds(20)
        while child.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if child.isRunning { child.signal(SIGKILL) }
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGTERM)
    }

    @Test func exitStatusDirectoryEnvironmentAndInput() throws {
        let folder = FileManager.default.temporaryDirectory.resolvingSymlinksInPath().path
        let said = Pipe(), typed = Pipe()
        let child = try ChildProcess.run("/bin/sh", ["-c", "pwd; echo \"$GREETING\"; cat; exit 7"],
                                         environment: ["GREETING": "hello there"], directory: folder,
                                         input: .pipe(typed), output: .pipe(said), error: .null)
        try typed.fileHandleForWriting.write(contentsOf: Data("typed\n".utf8))
        try typed.fileHandleForWriting.close()
        #expect(output(of: said) == "\(folder)\nhello there\ntyped\n")
        child.waitUntilExit()
        #expect(child.terminationReason == .exit && child.terminationStatus == 7)
        #expect(!child.isRunning)
        child.signal(SIGKILL)  // reaped: nothing is sent, and nothing changes
        #expect(child.terminationStatus == 7)
    }

    /// A child kept in the parent's process group gets what is sent to the group; a new group's leader does not.
    @Test func processGroups() throws {
        let own = try ChildProcess.run("/bin/sleep", ["30"], input: .null, output: .null, error: .null)
        let shared = try ChildProcess.run("/bin/sleep", ["30"], input: .null, output: .null, error: .null, newProcessGroup: false)
        defer {
            for child in [own, shared] {
                child.signal(SIGKILL)
                child.waitUntilExit()
            }
        }
        #expect(getpgid(own.processIdentifier) == own.processIdentifier)
        #expect(getpgid(shared.processIdentifier) == getpgrp())
    }

    /// A relative path is this process's, not the child's new directory's (the child changes directory before it
    /// execs). The directory is deeper than this one, so the path could not also work from there.
    @Test func aRelativeProgramIsFoundFromHere() throws {
        let folder = NSTemporaryDirectory() + "spawn-\(UUID().uuidString)"
        let here = FileManager.default.currentDirectoryPath
        let depth = here.split(separator: "/").count
        let deep = folder + String(repeating: "/d", count: depth + 2)
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: "\(folder)/tool")
        let relative = String(repeating: "../", count: depth) + String(folder.dropFirst()) + "/tool"
        let child = try ChildProcess.run(relative, [], directory: deep, input: .null, output: .null, error: .null)
        child.waitUntilExit()
        #expect(child.terminationReason == .exit && child.terminationStatus == 0)
    }

    @Test func aMissingProgramIsNamed() {
        #expect {
            _ = try ChildProcess.run("/nonexistent/tool", [])
        } throws: { error in
            let launch = error as? ChildProcess.LaunchError
            return launch?.code == ENOENT && launch?.description.contains("/nonexistent/tool") == true
        }
    }
}
