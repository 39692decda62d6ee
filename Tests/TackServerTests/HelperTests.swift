import Foundation
import TackCore
import TackImage
import TackSpawn
import Testing

/// The `tack` binary run as a user runs it, with its own HOME and XDG folders, against a real tackd.
struct Helper {
    let home: String
    var environment: [String: String]

    init(server: String? = nil, token: String? = nil, display: String? = nil) throws {
        home = NSTemporaryDirectory() + "tack-home-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        for key in ["DISPLAY", "TACK_SERVER", "TACK_TOKEN", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "TACK_FAILPOINT",
                    "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"] {
            environment[key] = nil
        }
        environment["HOME"] = home
        environment["XDG_CONFIG_HOME"] = "\(home)/config"
        environment["XDG_DATA_HOME"] = "\(home)/data"
        if let server { environment["TACK_SERVER"] = server }
        if let token { environment["TACK_TOKEN"] = token }
        if let display { environment["DISPLAY"] = display }
        self.environment = environment
    }

    var outbox: String { "\(home)/data/tack/outbox" }

    func outboxEntries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter { !$0.hasPrefix(".") }
    }

    func start(_ arguments: [String], extra: [String: String] = [:], in directory: String? = nil,
               executable: String = BuiltProducts.path("tack"), input: ChildProcess.Stream = .null) throws -> (ChildProcess, Pipe, Pipe) {
        let out = Pipe(), err = Pipe()
        let process = try ChildProcess.run(executable, arguments, environment: environment.merging(extra) { $1 },
                                           directory: directory ?? home, input: input, output: .pipe(out), error: .pipe(err))
        return (process, out, err)
    }

    /// Runs tack to the end off the cooperative pool (waiting for a process blocks a thread).
    func run(_ arguments: [String], extra: [String: String] = [:], in directory: String? = nil,
             input: Data? = nil) async throws -> Outcome {
        guard let input else { return try await finish(try start(arguments, extra: extra, in: directory)) }
        // From a file rather than a pipe: stdin is still not a terminal, and a tack that exits without reading it
        // cannot make the write fail.
        let file = "\(home)/stdin-\(UUID().uuidString)"
        try input.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        return try await finish(try start(arguments, extra: extra, in: directory, input: .file(handle)))
    }

    /// Runs tack inside a pseudo-terminal (util-linux `script`), as a person at a terminal runs it.
    func runOnTerminal(_ arguments: [String], extra: [String: String] = [:]) async throws -> Outcome {
        let command = ([BuiltProducts.path("tack")] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try await finish(try start(["-qec", command, "/dev/null"], extra: extra, executable: "/usr/bin/script"))
    }

    func finish(_ started: (ChildProcess, Pipe, Pipe)) async throws -> Outcome {
        let (process, out, err) = started
        let watchdog = Watchdog(process, limit: .seconds(180), name: "tack")
        let outcome = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let stdout = out.fileHandleForReading.readDataToEndOfFile()
                let stderr = err.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: Outcome(status: process.terminationStatus,
                                                       reason: process.terminationReason,
                                                       stdout: String(decoding: stdout, as: UTF8.self),
                                                       stderr: String(decoding: stderr, as: UTF8.self)))
            }
        }
        try watchdog.finish()
        return outcome
    }

    struct Outcome: CustomStringConvertible {
        let status: Int32
        let reason: ChildProcess.TerminationReason
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
        var description: String { "exit \(status): stdout=\(stdout.debugDescription) stderr=\(stderr.debugDescription)" }
    }
}

@Suite(.timeLimit(.minutes(5))) struct HelperUploadTests {
    /// `tack link`: a whole URL that opens without a token; a lifetime written as people write it; one plain line
    /// and a non-zero exit for a bad one and for an attachment the caller cannot see.
    @Test func linkPrintsAURLThatOpensWithoutAToken() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.fred.token)
        let bytes = pseudoRandomBytes(5000, seed: 12)
        let id = try #require(try await world.fred.upload(bytes, room: world.room, name: "shared.bin").json["id"] as? String)
        let made = try await helper.run(["link", id, "--ttl", "10m"])
        #expect(made.status == 0, "\(made)")
        let url = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(url.hasPrefix(world.tackd.base + "/f/\(id)?"), "\(url)")
        let opened = try await API(base: "", token: nil).request(.GET, url)
        #expect(opened.status == 200 && opened.body == bytes)
        #expect(opened.headers.first(name: "Content-Disposition")?.hasPrefix("attachment") == true)

        let json = try await helper.run(["link", id, "--json"])
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String])
        let expiresAt = try #require(fields["expiresAt"].flatMap {
            try? Date($0, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        })
        #expect(abs(expiresAt.timeIntervalSinceNow - 3600) < 300, "the server's default, an hour")

        let bad = try await helper.run(["link", id, "--ttl", "10w"])
        #expect(bad.status == 2 && bad.lines.isEmpty && bad.stderr.split(separator: "\n").count == 1, "\(bad)")
        let outsider = try Helper(server: world.tackd.base, token: world.mallory.token)
        let refused = try await outsider.run(["link", id])
        #expect(refused.status == 4 && refused.stderr.split(separator: "\n").count == 1, "\(refused)")
    }

    @Test func putListsAndDownloadsTheSameBytes() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token)
        let bytes = pseudoRandomBytes(3 << 20 + 17, seed: 4)
        let file = "\(helper.home)/report final.bin"
        try Data(bytes).write(to: URL(fileURLWithPath: file))

        let put = try await helper.run(["put", file, "--room", world.room, "--message", "the report", "--json"])
        #expect(put.status == 0, "\(put)")
        let result = try JSONSerialization.jsonObject(with: Data(put.stdout.utf8)) as? [String: Any]
        let id = try #require((result?["attachments"] as? [[String: Any]])?.first?["id"] as? String)
        #expect(helper.outboxEntries().isEmpty)

        let listing = try await helper.run(["ls", world.room])
        #expect(listing.status == 0)
        #expect(listing.lines.count == 1 && listing.stdout.contains(id) && listing.stdout.contains("report final.bin"))
        let messages = try await world.fred.request(.GET, "/v1/rooms/\(world.room)/messages")
        #expect(messages.text.contains("the report") && messages.text.contains(id))

        // Fred downloads it; a partial file left by an interrupted download is resumed, not restarted.
        let fredHelper = try Helper(server: world.tackd.base, token: world.fred.token)
        let target = "\(fredHelper.home)/copy.bin"
        try Data(bytes.prefix(1 << 20)).write(to: URL(fileURLWithPath: target + ".part"))
        let get = try await fredHelper.run(["get", id, "-o", target])
        #expect(get.status == 0, "\(get)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(bytes))
        #expect(!FileManager.default.fileExists(atPath: target + ".part"))

        // Mallory is no member: the room and the attachment do not exist for her.
        let mallory = try Helper(server: world.tackd.base, token: world.mallory.token)
        let refused = try await mallory.run(["get", id, "-o", "\(mallory.home)/x"])
        #expect(refused.status == 4 && refused.stderr.contains("not_found"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: "\(mallory.home)/x"))
    }

    /// A progress bar on a terminal (bytes, percentage, rate, time left); nothing of it when stderr is a pipe.
    @Test func progressIsDrawnOnATerminalOnly() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token)
        let file = "\(helper.home)/slow.bin"
        try Data(pseudoRandomBytes(3 << 20, seed: 5)).write(to: URL(fileURLWithPath: file))
        let slow = ["TACK_MAX_SEND_RATE": "1048576"]
        let terminal = try await helper.runOnTerminal(["put", file, "--room", world.room], extra: slow)
        #expect(terminal.status == 0, "\(terminal)")
        #expect(terminal.stdout.contains("slow.bin [") && terminal.stdout.contains("%") && terminal.stdout.contains("ETA"),
                "\(terminal)")
        #expect(terminal.stdout.contains("3.0 MiB/3.0 MiB 100%"))
        let piped = try await helper.run(["put", file, "--room", world.room], extra: slow)
        #expect(piped.status == 0 && !piped.stderr.contains("ETA") && !piped.stderr.contains("%"), "\(piped)")
    }

    @Test func loginWritesAPrivateConfigThatLaterCommandsUse() async throws {
        let world = try await World.make()
        var helper = try Helper()
        let login = try await helper.run(["login", "--server", world.tackd.base + "/", "--token", world.carol.token!])
        #expect(login.status == 0, "\(login)")
        let config = "\(helper.home)/config/tack/config"
        let mode = try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let rooms = try await helper.run(["rooms"])
        #expect(rooms.status == 0 && rooms.stdout.contains(world.room) && rooms.stdout.contains("Room for Project A"))
        // The environment overrides the file: a bad token from it is refused.
        helper.environment["TACK_TOKEN"] = "not-a-token"
        let bad = try await helper.run(["rooms"])
        #expect(bad.status == 4 && bad.stderr.contains("unauthenticated"), "\(bad)")
        let badLogin = try await helper.run(["login", "--server", world.tackd.base, "--token", "wrong"])
        #expect(badLogin.status == 4)
    }

    @Test func badInputGetsOneLineAndItsExitCode() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token)
        let missing = try await helper.run(["put", "\(helper.home)/nope.txt", "--room", world.room])
        #expect(missing.status == 5 && missing.stderr.split(separator: "\n").count == 1, "\(missing)")
        let unknownRoom = try await helper.run(["put", "/etc/hostname", "--room", "room_nope"])
        #expect(unknownRoom.status == 4 && unknownRoom.stderr.contains("not_found"), "\(unknownRoom)")
        let usage = try await helper.run(["put", "/etc/hostname"])
        #expect(usage.status == 2, "\(usage)")
        let noDisplay = try await helper.run(["shot", "-o", "\(helper.home)/x.png"])
        #expect(noDisplay.status == 6 && noDisplay.stderr.contains("DISPLAY"), "\(noDisplay)")
        let geometry = try await helper.run(["shot", "--region", "12x+3", "-o", "\(helper.home)/x.png"])
        #expect(geometry.status == 2 && geometry.stderr.contains("WxH+X+Y"), "\(geometry)")
        let format = try await helper.run(["shot", "-o", "\(helper.home)/x.gif"])
        #expect(format.status == 2)
        let unconfigured = try await Helper().run(["rooms"])
        #expect(unconfigured.status == 5 && unconfigured.stderr.contains("tack login"), "\(unconfigured)")
    }
}

@Suite(.timeLimit(.minutes(5))) struct HelperOutboxTests {
    @Test func serverDownQueuesAndFlushSendsEverythingOnce() async throws {
        let world = try await World.make()
        // Held, not closed, while tack is pointed at it: a closed port could be given to another test's server.
        let down = try RefusingPort()
        defer { withExtendedLifetime(down) {} }
        var helper = try Helper(server: "http://127.0.0.1:\(down.port)", token: world.carol.token)
        let file = "\(helper.home)/notes.txt"
        try Data("meeting notes\n".utf8).write(to: URL(fileURLWithPath: file))

        let queued = try await helper.run(["put", file, "--room", world.room, "--retries", "2"])
        #expect(queued.status == 3, "\(queued)")
        #expect(queued.stderr.contains("queued"))
        let second = try await helper.run(["put", file, "--room", world.room, "--retries", "1"])
        #expect(second.status == 3)
        #expect(helper.outboxEntries().count == 2)
        let listing = try await helper.run(["outbox"])
        #expect(listing.lines.count == 2 && listing.stdout.contains("notes.txt"))

        helper.environment["TACK_SERVER"] = world.tackd.base
        let flush = try await helper.run(["outbox", "flush"])
        #expect(flush.status == 0, "\(flush)")
        #expect(helper.outboxEntries().isEmpty)
        let again = try await helper.run(["outbox", "flush"])
        #expect(again.status == 0 && again.stdout.isEmpty)
        let items = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        #expect(items?.count == 2)
        #expect(items?.allSatisfy { $0["sha256"] as? String == sha256(Array("meeting notes\n".utf8)).hex } == true)
    }

    @Test func killedMidUploadLosesNothing() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token)
        let bytes = pseudoRandomBytes(4 << 20, seed: 9)
        let file = "\(helper.home)/big.bin"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        // A slow link (two minutes for these 4 MiB), so the upload is surely under way when tack is killed, even when
        // a loaded machine wakes this test late from its sleeps or is slow to copy the file into the outbox.
        // stdout is held open though unread: a closed one would end tack with SIGPIPE, not the kill under test.
        let (process, out, err) = try helper.start(["put", file, "--room", world.room], extra: ["TACK_MAX_SEND_RATE": "32768"])
        defer { withExtendedLifetime(out) {} }
        // tackd itself reports the upload under way (its in-flight count) before tack is killed: the kill lands
        // mid-stream, not before the upload began.
        let deadline = ContinuousClock.now + .seconds(90)
        var inFlight = false
        while !inFlight, process.isRunning, ContinuousClock.now < deadline {
            inFlight = try await world.tackd.uploadsInFlight() == 1
            if !inFlight { try await Task.sleep(for: .milliseconds(50)) }
        }
        process.signal(SIGKILL)
        try await process.exit(within: .seconds(30), name: "tack put")
        if !inFlight {
            let said = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            Issue.record("tackd never reported the upload in flight; tack said: \(said.debugDescription)")
        }
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(helper.outboxEntries().count == 1)
        let before = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        #expect(before?.isEmpty == true)

        let flush = try await helper.run(["outbox", "flush"])
        #expect(flush.status == 0, "\(flush)")
        let after = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        #expect(after?.count == 1)
        #expect(after?.first?["sha256"] as? String == sha256(bytes).hex)
    }

    /// Killed after the server stored the file but before the outbox noted it: the retry carries the same
    /// Idempotency-Key, so the room still gets the file once.
    @Test func killedAfterTheServerConfirmedDoesNotUploadTwice() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token)
        let file = "\(helper.home)/once.txt"
        try Data("exactly once\n".utf8).write(to: URL(fileURLWithPath: file))
        let crashed = try await helper.run(["put", file, "--room", world.room], extra: ["TACK_FAILPOINT": "after-upload"])
        #expect(crashed.reason == .uncaughtSignal, "\(crashed)")
        #expect(helper.outboxEntries().count == 1)
        let stored = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        #expect(stored?.count == 1, "the server had the file before tack died")
        let flush = try await helper.run(["outbox", "flush"])
        #expect(flush.status == 0, "\(flush)")
        #expect(helper.outboxEntries().isEmpty)
        let items = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        #expect(items?.count == 1)
    }

    /// Killed right after the server stored the message but before the outbox noted it: the message's own
    /// Idempotency-Key keeps the room from seeing it twice.
    @Test func killedAfterTheMessageWasPostedDoesNotPostItTwice() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token)
        let file = "\(helper.home)/brief.txt"
        try Data("the brief\n".utf8).write(to: URL(fileURLWithPath: file))
        let crashed = try await helper.run(["put", file, "--room", world.room, "--message", "here is the brief"],
                                           extra: ["TACK_FAILPOINT": "after-message"])
        #expect(crashed.reason == .uncaughtSignal, "\(crashed)")
        let posted = try await world.fred.request(.GET, "/v1/rooms/\(world.room)/messages").json["items"] as? [[String: Any]]
        #expect(posted?.count == 1, "the server had the message before tack died")
        #expect(helper.outboxEntries().count == 1, "and the outbox still held the entry")
        #expect(try await helper.run(["outbox", "flush"]).status == 0)
        #expect(helper.outboxEntries().isEmpty)
        let messages = try await world.fred.request(.GET, "/v1/rooms/\(world.room)/messages").json["items"] as? [[String: Any]]
        #expect(messages?.count == 1)
        #expect((messages?.first?["attachments"] as? [[String: Any]])?.count == 1)
    }

    /// `put` of three files with a message, killed after the server confirmed the second but before the outbox noted
    /// it: the flush sends the rest, and the room gets each file once and the message once, with all three in order.
    @Test func aPutKilledAfterFileTwoOfThreeResumesWithTheThird() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token)
        let files = (1...3).map { "\(helper.home)/part-\($0).bin" }
        let contents = (1...3).map { pseudoRandomBytes(20_000 + $0, seed: UInt64(40 + $0)) }
        for (file, bytes) in zip(files, contents) { try Data(bytes).write(to: URL(fileURLWithPath: file)) }
        let crashed = try await helper.run(["put"] + files + ["--room", world.room, "--message", "three parts"],
                                           extra: ["TACK_FAILPOINT": "after-upload#2"])
        #expect(crashed.reason == .uncaughtSignal, "\(crashed)")
        func stored() async throws -> [[String: Any]] {
            try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]] ?? []
        }
        #expect(try await stored().count == 2, "the server had two files when tack died")
        #expect(helper.outboxEntries().count == 1)

        let flush = try await helper.run(["outbox", "flush"])
        #expect(flush.status == 0, "\(flush)")
        #expect(helper.outboxEntries().isEmpty)
        let items = try await stored()
        #expect(items.count == 3, "\(items.map { $0["name"] ?? "" })")
        #expect(Set(items.compactMap { $0["sha256"] as? String }) == Set(contents.map { sha256($0).hex }))
        let messages = try await world.fred.request(.GET, "/v1/rooms/\(world.room)/messages").json["items"] as? [[String: Any]]
        #expect(messages?.count == 1)
        let attached = (messages?.first?["attachments"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(attached == ["part-1.bin", "part-2.bin", "part-3.bin"])
    }

    /// The outbox's copy damaged on disk after it was queued: the server refuses bytes that do not match the
    /// digest tack declares, nothing reaches the room, and the entry stays queued with the reason.
    @Test func aDamagedOutboxCopyIsNeverDelivered() async throws {
        let world = try await World.make()
        // Held, not closed, while tack is pointed at it: a closed port could be given to another test's server.
        let down = try RefusingPort()
        defer { withExtendedLifetime(down) {} }
        var helper = try Helper(server: "http://127.0.0.1:\(down.port)", token: world.carol.token)
        let file = "\(helper.home)/report.bin"
        try Data(pseudoRandomBytes(50_000, seed: 8)).write(to: URL(fileURLWithPath: file))
        let queued = try await helper.run(["put", file, "--room", world.room, "--retries", "1"])
        #expect(queued.status == 3, "\(queued)")
        // The entry's folder holds its record and a copy of each file (`0-data` for the first).
        let copies = try FileManager.default.subpathsOfDirectory(atPath: helper.outbox).filter { $0.hasSuffix("/0-data") }
        let copy = "\(helper.outbox)/\(try #require(copies.first, "the outbox keeps its own copy"))"
        var damaged = try [UInt8](Data(contentsOf: URL(fileURLWithPath: copy)))
        damaged[25_000] ^= 0x01
        try Data(damaged).write(to: URL(fileURLWithPath: copy))

        helper.environment["TACK_SERVER"] = world.tackd.base
        let flush = try await helper.run(["outbox", "flush"])
        #expect(flush.status != 0, "\(flush)")
        #expect(helper.outboxEntries().count == 1, "the entry stays queued")
        let listing = try await helper.run(["outbox"])
        #expect(listing.stdout.contains("digest"), "the reason is shown: \(listing)")
        let items = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        #expect(items?.isEmpty == true)
    }

    /// Two `tack outbox flush` at once (a key binding pressed twice): one sends the entry, the other leaves it to
    /// it (or, started after it, finds nothing left), and the room gets the file once.
    @Test func twoFlushesAtOnceSendTheEntryOnce() async throws {
        let world = try await World.make()
        // Held, not closed, while tack is pointed at it: a closed port could be given to another test's server.
        let down = try RefusingPort()
        defer { withExtendedLifetime(down) {} }
        var helper = try Helper(server: "http://127.0.0.1:\(down.port)", token: world.carol.token)
        let file = "\(helper.home)/once.bin"
        let bytes = pseudoRandomBytes(1 << 20, seed: 12)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        #expect(try await helper.run(["put", file, "--room", world.room, "--retries", "1"]).status == 3)
        helper.environment["TACK_SERVER"] = world.tackd.base
        // The lock, deterministically: while another process holds the entry (here the test, as a sending tack
        // would), a flush leaves it queued and says why.
        let entry = "\(helper.outbox)/\(try #require(helper.outboxEntries().first))"
        let holder = open(entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(holder >= 0 && flock(holder, LOCK_EX | LOCK_NB) == 0)
        let held = try await helper.run(["outbox", "flush"])
        close(holder)
        #expect(held.stderr.contains("another tack") && helper.outboxEntries().count == 1, "\(held)")

        // Two real flushes at once. Slow enough (16 s for the MiB) that the second usually finds the first sending;
        // on a loaded machine it may start after the first is done and find nothing: either way, the file once.
        let slow = ["TACK_MAX_SEND_RATE": "65536"]
        let first = try helper.start(["outbox", "flush"], extra: slow)
        let deadline = ContinuousClock.now + .seconds(90)
        while try await world.tackd.uploadsInFlight() != 1, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let second = try await helper.run(["outbox", "flush"], extra: slow)
        #expect(second.stderr.contains("another tack") || (second.status == 0 && second.stdout.isEmpty), "\(second)")
        let firstOutcome = try await helper.finish(first)
        #expect(firstOutcome.status == 0, "\(firstOutcome)")
        #expect(helper.outboxEntries().isEmpty)
        let items = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        #expect(items?.count == 1 && items?.first?["sha256"] as? String == sha256(bytes).hex)
    }

    @Test func refusedEntriesStayQueuedWithTheReason() async throws {
        let world = try await World.make(["--max-upload-bytes", "1000"])
        let helper = try Helper(server: world.tackd.base, token: world.carol.token)
        let file = "\(helper.home)/large.bin"
        try Data(pseudoRandomBytes(5000, seed: 2)).write(to: URL(fileURLWithPath: file))
        let refused = try await helper.run(["put", file, "--room", world.room])
        #expect(refused.status == 4 && refused.stderr.contains("too_large"), "\(refused)")
        let listing = try await helper.run(["outbox"])
        #expect(listing.stdout.contains("too_large"))
        let id = try #require(helper.outboxEntries().first)
        #expect(try await helper.run(["outbox", "drop", id]).status == 0)
        #expect(helper.outboxEntries().isEmpty)
    }
}

@Suite(.timeLimit(.minutes(5))) struct HelperShotTests {
    @Test func shotIntoARoomMatchesThePaintedPixels() async throws {
        let world = try await World.make()
        let screen = try VirtualScreen(width: 800, height: 600)
        let painter = try XPainter(screen.display)
        painter.fill(0, 0, 800, 600, 30, 30, 30)
        painter.fill(100, 100, 200, 150, 255, 0, 0)
        painter.show()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token, display: screen.display)
        // The room by the start of its name, as a person types it.
        let shot = try await helper.run(["shot", "--region", "300x200+50+50", "--room", "room for", "--message", "look", "--json"])
        #expect(shot.status == 0, "\(shot)")
        let items = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        let item = try #require(items?.first)
        #expect(item["contentType"] as? String == "image/png")
        #expect(item["types"] as? [String] == ["image", "screenshot"], "type:screenshot finds what tack shot sent")
        let content = try await world.fred.request(.GET, "/v1/attachments/\(item["id"] as! String)/content")
        let image = try PNGCodec.decode(content.body, limits: ImageLimits())
        #expect(image.width == 300 && image.height == 200)
        #expect(image.pixel(50, 50) == [255, 0, 0, 255])
        #expect(image.pixel(49, 50) == [30, 30, 30, 255])
        #expect(image.pixel(249, 199) == [255, 0, 0, 255])
        #expect(image.pixel(250, 199) == [30, 30, 30, 255])

        // JPEG to a file, no room: written whole, decodable, the right size.
        let jpeg = try await helper.run(["shot", "--monitor", "0", "-o", "\(helper.home)/screen.jpg", "--quality", "80"])
        #expect(jpeg.status == 0, "\(jpeg)")
        let decoded = try JPEGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(helper.home)/screen.jpg"))), limits: ImageLimits())
        #expect(decoded.width == 800 && decoded.height == 600)
        #expect(decoded.pixel(200, 175)[0] > 230 && decoded.pixel(200, 175)[1] < 30)
    }

    /// `--copy` hands the image (or, with a room, the link) to xclip, which keeps owning the clipboard after tack
    /// has exited, as a person pasting a moment later needs.
    @Test func copyPutsTheImageOrTheLinkOnTheClipboard() async throws {
        let world = try await World.make()
        let screen = try VirtualScreen()
        let painter = try XPainter(screen.display)
        painter.fill(0, 0, 640, 480, 0, 200, 0)
        painter.show()
        let helper = try Helper(server: world.tackd.base, token: world.carol.token, display: screen.display)
        let file = "\(helper.home)/copied.png"
        let shot = try await helper.run(["shot", "--region", "20x10+5+5", "-o", file, "--copy"])
        #expect(shot.status == 0, "\(shot)")
        let image = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(try await pastedImage(screen, folder: helper.home, expecting: image) == image)

        let sent = try await helper.run(["shot", "--region", "20x10+5+5", "--room", world.room, "--copy"])
        let link = sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(sent.status == 0 && link.hasPrefix(world.tackd.base + "/attachments/att_"), "the gallery's link: \(sent)")
        var text = ""
        for _ in 0..<50 where text != link {
            text = try screen.run("xclip", ["-selection", "clipboard", "-o"]).output
            if text != link { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(text == link)

        // put --copy: the gallery links of everything sent, one a line.
        let files = ["a.txt", "b.txt"].map { "\(helper.home)/\($0)" }
        for file in files { try Data(file.utf8).write(to: URL(fileURLWithPath: file)) }
        let put = try await helper.run(["put"] + files + ["--room", "room for", "--copy"])
        let links = put.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(put.status == 0 && put.lines.count == 2 && put.lines.allSatisfy { $0.hasPrefix(world.tackd.base + "/attachments/att_") },
                "\(put)")
        for _ in 0..<50 where text != links {
            text = try screen.run("xclip", ["-selection", "clipboard", "-o"]).output
            if text != links { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(text == links)
    }

    @Test func serverDownKeepsTheCaptureAndFlushDeliversIt() async throws {
        let world = try await World.make()
        let screen = try VirtualScreen()
        // Held, not closed, while tack is pointed at it: a closed port could be given to another test's server.
        let down = try RefusingPort()
        defer { withExtendedLifetime(down) {} }
        var helper = try Helper(server: "http://127.0.0.1:\(down.port)", token: world.carol.token, display: screen.display)
        // Offline, the room's name cannot be looked up: it is kept, and resolved when the server answers again.
        let shot = try await helper.run(["shot", "--room", "Room for Project A", "--retries", "1"])
        #expect(shot.status == 3, "\(shot)")
        #expect(helper.outboxEntries().count == 1)
        helper.environment["TACK_SERVER"] = world.tackd.base
        #expect(try await helper.run(["outbox", "flush"]).status == 0)
        let items = try await world.carol.request(.GET, "/v1/rooms/\(world.room)/attachments").json["items"] as? [[String: Any]]
        #expect(items?.count == 1 && (items?.first?["name"] as? String)?.hasPrefix("screenshot-") == true)
        #expect(items?.first?["types"] as? [String] == ["image", "screenshot"], "the outbox kept where the file came from")
    }

    /// The selection is driven like a person would, with xdotool; the rubber band must not be in the picture.
    @Test func selectionByDraggingAndCancelling() async throws {
        let screen = try VirtualScreen()
        let painter = try XPainter(screen.display)
        painter.fill(0, 0, 640, 480, 0, 0, 255)
        painter.fill(60, 70, 30, 30, 0, 255, 0)
        painter.show()
        let helper = try Helper(display: screen.display)
        let output = "\(helper.home)/selected.png"
        let (process, out, err) = try helper.start(["shot", "--select", "-o", output])
        try await waitForPrompt(err)
        #expect(try screen.run("xdotool", ["mousemove", "50", "60", "mousedown", "1", "mousemove", "100", "90", "mousemove",
                                           "150", "110", "mouseup", "1"]).status == 0)
        try await process.exit(within: .seconds(60), name: "tack shot --select")
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == output + "\n")
        let image = try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: output))), limits: ImageLimits())
        #expect(image.width == 100 && image.height == 50)
        #expect(image.pixel(10, 10) == [0, 255, 0, 255])
        // The band ran along these edges while dragging: they show the screen, not the band.
        #expect((0..<100).allSatisfy { image.pixel($0, 0) == [0, 0, 255, 255] })
        #expect((0..<50).allSatisfy { image.pixel(99, $0) == [0, 0, 255, 255] })

        let (cancelled, cancelOut, cancelErr) = try helper.start(["shot", "--select", "-o", "\(helper.home)/never.png"])
        try await waitForPrompt(cancelErr)
        #expect(try screen.run("xdotool", ["key", "Escape"]).status == 0)
        try await cancelled.exit(within: .seconds(60), name: "tack shot --select")
        #expect(cancelled.terminationStatus == 1)
        #expect(cancelOut.fileHandleForReading.readDataToEndOfFile().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(helper.home)/never.png"))
    }

    /// The options a person binds to keys, each checked against what was painted: `tack monitors`, `--monitor
    /// under-cursor`, `--window root` with `--format jpeg` to stdout, `-o -`, `--cursor`, `--delay` (the screen is
    /// repainted during the delay, and the repainted screen is what is captured), and a click without a drag in
    /// `--select`, which takes the window under it.
    @Test func captureOptionsDoWhatTheySay() async throws {
        let screen = try VirtualScreen(width: 640, height: 480)
        #expect(try screen.run("xrandr", ["--setmonitor", "*LEFT", "320/85x480/127+0+0", "screen"]).status == 0)
        #expect(try screen.run("xrandr", ["--setmonitor", "RIGHT", "320/85x480/127+320+0", "none"]).status == 0)
        let painter = try XPainter(screen.display)
        painter.fill(0, 0, 320, 480, 255, 0, 0)
        painter.fill(320, 0, 320, 480, 0, 255, 0)
        painter.show()
        let helper = try Helper(display: screen.display)

        let monitors = try await helper.run(["monitors"])
        #expect(monitors.status == 0, "\(monitors)")
        #expect(monitors.lines == ["0\tLEFT\t320x480+0+0\tprimary", "1\tRIGHT\t320x480+320+0"], "\(monitors)")

        // The pointer over the right monitor: that monitor, every pixel green, as PNG on stdout.
        painter.warpPointer(to: 500, 100)
        let right = try PNGCodec.decode(try await stdout(helper, ["shot", "--monitor", "under-cursor", "-o", "-"]),
                                        limits: ImageLimits())
        #expect((right.width, right.height) == (320, 480))
        #expect((0..<480).allSatisfy { y in (0..<320).allSatisfy { right.pixel($0, y) == [0, 255, 0, 255] } })

        // The root window as JPEG on stdout: the whole screen, red on the left and green on the right.
        let root = try await stdout(helper, ["shot", "--window", "root", "--format", "jpeg", "-o", "-"])
        #expect(root.starts(with: [0xFF, 0xD8, 0xFF]), "a JPEG, as asked, whatever the (absent) file name says")
        let whole = try JPEGCodec.decode(root, limits: ImageLimits())
        #expect((whole.width, whole.height) == (640, 480))
        #expect(whole.pixel(100, 240)[0] > 230 && whole.pixel(100, 240)[1] < 30)
        #expect(whole.pixel(540, 240)[1] > 230 && whole.pixel(540, 240)[0] < 30)

        // --cursor: the pointer's image is over the green where it points, and only with the flag.
        let plain = try PNGCodec.decode(try await stdout(helper, ["shot", "--region", "40x40+480+80", "-o", "-"]),
                                        limits: ImageLimits())
        let pointed = try PNGCodec.decode(try await stdout(helper, ["shot", "--region", "40x40+480+80", "--cursor", "-o", "-"]),
                                          limits: ImageLimits())
        #expect((0..<40).allSatisfy { y in (0..<40).allSatisfy { plain.pixel($0, y) == [0, 255, 0, 255] } })
        #expect((0..<40).contains { y in (0..<40).contains { pointed.pixel($0, y) != [0, 255, 0, 255] } })

        // --delay: blue is painted a second after tack starts (a tack that took the red at once would be done by
        // then); the capture, three seconds in, shows the blue.
        let delayed = "\(helper.home)/delayed.png"
        let (waiting, waitingOut, waitingErr) = try helper.start(["shot", "--delay", "3", "--region", "10x10+0+0", "-o", delayed])
        defer { withExtendedLifetime(waitingErr) {} }  // held: a closed stderr would end tack with SIGPIPE
        // On a thread of its own, so that a busy test run cannot push the repaint past the capture.
        nonisolated(unsafe) let repainter = painter
        try await offThePool {
            usleep(1_000_000)
            repainter.fill(0, 0, 640, 480, 0, 0, 255)
            repainter.show()
        }
        try await waiting.exit(within: .seconds(60), name: "tack shot --delay 3")
        #expect(waiting.terminationStatus == 0)
        #expect(String(decoding: waitingOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == delayed + "\n")
        let late = try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: delayed))), limits: ImageLimits())
        #expect((0..<10).allSatisfy { y in (0..<10).allSatisfy { late.pixel($0, y) == [0, 0, 255, 255] } })

        // --window active needs a window manager that names the active window; without one, one line says so and
        // nothing is written.
        let active = try await helper.run(["shot", "--window", "active", "-o", "\(helper.home)/active.png"])
        #expect(active.status == 5 && active.stderr.contains("_NET_ACTIVE_WINDOW"), "\(active)")
        #expect(active.stderr.split(separator: "\n").count == 1, "\(active)")
        #expect(!FileManager.default.fileExists(atPath: "\(helper.home)/active.png"))

        // A click without a drag: the window under the pointer, exactly.
        _ = try painter.window(x: 100, y: 100, width: 80, height: 60, argb: 0xFFFFFF00)
        let picked = "\(helper.home)/picked.png"
        let (selecting, selectingOut, err) = try helper.start(["shot", "--select", "-o", picked])
        try await waitForPrompt(err)
        #expect(try screen.run("xdotool", ["mousemove", "130", "120", "click", "1"]).status == 0)
        try await selecting.exit(within: .seconds(60), name: "tack shot --select")
        #expect(selecting.terminationStatus == 0)
        #expect(String(decoding: selectingOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == picked + "\n")
        let window = try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: picked))), limits: ImageLimits())
        #expect((window.width, window.height) == (80, 60))
        #expect((0..<60).allSatisfy { y in (0..<80).allSatisfy { window.pixel($0, y) == [255, 255, 0, 255] } })
    }

    /// What tack wrote to stdout, byte for byte (an image with `-o -`), after it exited 0.
    private func stdout(_ helper: Helper, _ arguments: [String]) async throws -> [UInt8] {
        let (process, out, err) = try helper.start(arguments)
        let watchdog = Watchdog(process, limit: .seconds(60), name: "tack \(arguments.joined(separator: " "))")
        let (bytes, problems) = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let bytes = out.fileHandleForReading.readDataToEndOfFile()
                let problems = err.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: ([UInt8](bytes), String(decoding: problems, as: UTF8.self)))
            }
        }
        try watchdog.finish()
        #expect(process.terminationStatus == 0, "tack \(arguments): \(problems)")
        return bytes
    }

    private func waitForPrompt(_ pipe: Pipe) async throws {
        var seen = ""
        let handle = pipe.fileHandleForReading
        while !seen.contains("select an area") {
            let chunk = handle.availableData
            guard !chunk.isEmpty else { throw HarnessError("tack exited before the selection started: \(seen)") }
            seen += String(decoding: chunk, as: UTF8.self)
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct HelperLoginTests {
    /// The token from a pipe or file: never on the command line, where shell history and `ps` would keep it.
    @Test func loginReadsTheTokenFromStdin() async throws {
        let world = try await World.make()
        let helper = try Helper()
        let token = try #require(world.carol.token)
        let login = try await helper.run(["login", "--server", world.tackd.base], input: Data("  \(token)  \n".utf8))
        #expect(login.status == 0, "\(login)")
        let config = "\(helper.home)/config/tack/config"
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config))) as? [String: Any]
        #expect(saved?["token"] as? String == token && saved?["server"] as? String == world.tackd.base)
        let mode = try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let rooms = try await helper.run(["rooms"])
        #expect(rooms.status == 0 && rooms.stdout.contains(world.room), "\(rooms)")
        // Plain http goes straight to this machine, never through a proxy (where the token would cross the network).
        let proxy = try RawListener()
        let direct = try await helper.run(["rooms"], extra: ["http_proxy": "http://127.0.0.1:\(proxy.port)",
                                                             "all_proxy": "http://127.0.0.1:\(proxy.port)"])
        #expect(direct.status == 0 && proxy.connections == 0, "\(direct)")

        // Nothing on stdin (and no --token) is a usage error, and the saved login stays as it was.
        let empty = try await helper.run(["login", "--server", world.tackd.base])
        #expect(empty.status == 2 && empty.stderr.contains("stdin"), "\(empty)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: config)).count > 0)
    }

    /// At a terminal the token is typed at a prompt that does not echo it: the pseudo-terminal's output (everything a
    /// person would see) holds the prompt but never the token.
    @Test func loginPromptsWithoutEchoOnATerminal() async throws {
        let world = try await World.make()
        let helper = try Helper()
        let token = try #require(world.carol.token)
        let command = [BuiltProducts.path("tack"), "login", "--server", world.tackd.base].map { "'\($0)'" }.joined(separator: " ")
        let keyboard = Pipe()
        let (process, out, err) = try helper.start(["-qec", command, "/dev/null"], executable: "/usr/bin/script", input: .pipe(keyboard))
        defer { withExtendedLifetime(err) {} }  // held: a closed stderr would end script with SIGPIPE
        var seen = ""
        while !seen.contains("Token: ") {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw HarnessError("tack exited without prompting: \(seen)") }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        try keyboard.fileHandleForWriting.write(contentsOf: Data("\(token)\n".utf8))
        let watchdog = Watchdog(process, limit: .seconds(60), name: "tack login")
        seen += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try watchdog.finish()
        try keyboard.fileHandleForWriting.close()
        #expect(process.terminationStatus == 0, "\(seen)")
        #expect(seen.contains("logged in to") && !seen.contains(token), "\(seen)")
        let saved = try String(contentsOfFile: "\(helper.home)/config/tack/config", encoding: .utf8)
        #expect(saved.contains(token))
    }

    /// Plain http to another machine would carry the token in clear: refused with one line and exit 2, before any
    /// connection. The witness is a listener on 127.0.0.1 reached through spellings libcurl reads as that address
    /// (`127.1`, `2130706433`, octal `0177.0.0.1`) but that are not plainly loopback: it must see no connection.
    @Test func loginRefusesPlainHTTPToAnotherMachine() async throws {
        let world = try await World.make()
        let helper = try Helper()
        let token = Data("\(try #require(world.carol.token))\n".utf8)
        let refused = try await helper.run(["login", "--server", "http://example.invalid"], input: token)
        #expect(refused.status == 2 && refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains("https://"),
                "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: "\(helper.home)/config/tack/config"))

        let witness = try RawListener()
        for host in ["127.1", "2130706433", "0177.0.0.1", "[::ffff:127.0.0.1]"] {
            let server = "http://\(host):\(witness.port)"
            let login = try await helper.run(["login", "--server", server], input: token)
            #expect(login.status == 2, "\(server): \(login)")
            // The environment's server is held to the same rule by every command that sends the token.
            let rooms = try await helper.run(["rooms"], extra: ["TACK_SERVER": server, "TACK_TOKEN": world.carol.token!])
            #expect(rooms.status == 2 && rooms.stderr.contains("in clear"), "\(server): \(rooms)")
            let put = try await helper.run(["put", "/etc/hostname", "--room", world.room],
                                           extra: ["TACK_SERVER": server, "TACK_TOKEN": world.carol.token!])
            #expect(put.status == 2 && helper.outboxEntries().isEmpty, "\(server): \(put)")
        }
        #expect(witness.connections == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(helper.home)/config/tack/config"))
    }
}

@Suite(.timeLimit(.minutes(5))) struct HelperGetTests {
    /// A second download of the same attachment, or one onto an existing -o file, takes `name (n).ext`; the file that
    /// was there (edited since) is left alone. `--force` replaces it.
    @Test func getNeverReplacesAFileUnlessForced() async throws {
        let world = try await World.make()
        let bytes = Array("the server's copy\n".utf8)
        let id = try #require(try await world.carol.upload(bytes, room: world.room, name: "notes.txt").json["id"] as? String)
        let helper = try Helper(server: world.tackd.base, token: world.fred.token)
        let home = helper.home
        func contents(_ name: String) -> String? {
            (try? String(contentsOfFile: "\(home)/\(name)", encoding: .utf8))
        }

        let first = try await helper.run(["get", id])
        #expect(first.status == 0 && first.stdout == "notes.txt\n", "\(first)")
        try Data("my edits\n".utf8).write(to: URL(fileURLWithPath: "\(home)/notes.txt"))
        let second = try await helper.run(["get", id])
        #expect(second.status == 0 && second.stdout == "notes (1).txt\n", "\(second)")
        #expect(second.stderr.contains("notes (1).txt"), "\(second)")
        #expect(contents("notes.txt") == "my edits\n")
        #expect(contents("notes (1).txt") == "the server's copy\n")
        let third = try await helper.run(["get", id])
        #expect(third.stdout == "notes (2).txt\n", "\(third)")

        // -o is held to the same rule.
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: "\(home)/mine.txt"))
        let named = try await helper.run(["get", id, "-o", "\(home)/mine.txt"])
        #expect(named.status == 0 && named.stdout == "\(home)/mine (1).txt\n", "\(named)")
        #expect(contents("mine.txt") == "keep me\n" && contents("mine (1).txt") == "the server's copy\n")

        let forced = try await helper.run(["get", id, "--force"])
        #expect(forced.status == 0 && forced.stdout == "notes.txt\n", "\(forced)")
        #expect(contents("notes.txt") == "the server's copy\n")
        let forcedNamed = try await helper.run(["get", id, "-o", "\(home)/mine.txt", "--force"])
        #expect(forcedNamed.status == 0 && contents("mine.txt") == "the server's copy\n", "\(forcedNamed)")
        #expect(!FileManager.default.fileExists(atPath: "\(home)/notes (3).txt"))
        #expect(!FileManager.default.fileExists(atPath: "\(home)/mine (2).txt"))
    }

    /// A `.part` that is a symlink planted by someone else is not followed: the file it points to stays as it was.
    @Test func aPlantedPartSymlinkIsNotFollowed() async throws {
        let world = try await World.make()
        let id = try #require(try await world.carol.upload(pseudoRandomBytes(5000, seed: 3), room: world.room,
                                                           name: "data.bin").json["id"] as? String)
        let helper = try Helper(server: world.tackd.base, token: world.fred.token)
        let victim = "\(helper.home)/victim"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: "\(helper.home)/data.bin.part", withDestinationPath: victim)
        let get = try await helper.run(["get", id])
        #expect(get.status == 5 && get.stderr.contains("data.bin.part"), "\(get)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(!FileManager.default.fileExists(atPath: "\(helper.home)/data.bin"))
    }

    /// Bytes that arrive unlike the attachment's SHA-256 (its stored copy damaged on the server's disk, same length)
    /// are not saved: tack deletes its own `.part` and nothing else; the file already at the name and another
    /// download's `.part` stay as they were.
    @Test func aDamagedDownloadRemovesOnlyItsOwnPart() async throws {
        let world = try await World.make()
        let bytes = pseudoRandomBytes(100_000, seed: 21)
        let upload = try await world.carol.upload(bytes, room: world.room, name: "data.bin")
        let id = try #require(upload.json["id"] as? String)
        let hex = try #require(upload.json["sha256"] as? String)
        let blob = "\(world.tackd.storage)/blobs/sha256/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)"
        var damaged = bytes
        damaged[50_000] ^= 0xFF
        #expect(chmod(blob, 0o600) == 0, "the stored blob is at \(blob)")
        try Data(damaged).write(to: URL(fileURLWithPath: blob))

        let helper = try Helper(server: world.tackd.base, token: world.fred.token)
        let home = helper.home
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: "\(home)/data.bin"))
        try Data("another download\n".utf8).write(to: URL(fileURLWithPath: "\(home)/other.bin.part"))
        let get = try await helper.run(["get", id])
        #expect(get.status == 3 && get.stderr.contains("damaged"), "\(get)")
        #expect(get.stdout.isEmpty, "no path is printed for a file not saved: \(get)")
        let left = try FileManager.default.contentsOfDirectory(atPath: home).filter { !$0.hasPrefix(".") && $0 != "config" }
        #expect(Set(left).isSuperset(of: ["data.bin", "other.bin.part"]))
        #expect(!left.contains { $0.hasPrefix("data (") }, "neither a damaged file nor its .part is left: \(left)")
        #expect(FileManager.default.contents(atPath: "\(home)/data.bin") == Data("mine\n".utf8))
        #expect(FileManager.default.contents(atPath: "\(home)/other.bin.part") == Data("another download\n".utf8))
    }

    /// The longest name tackd keeps (255 bytes, two-byte letters) downloaded twice. The file is written to
    /// `NAME.part` first, which a 255-byte name leaves no room for: names are cut to 250 bytes, keeping the
    /// extension and whole letters, and the second copy's numbered name too.
    @Test func theLongestNameDownloadedTwiceStillFits() async throws {
        let world = try await World.make()
        let name = String(repeating: "ü", count: 125) + "b.txt"
        #expect(name.utf8.count == 255)
        let upload = try await world.carol.upload(Array("long\n".utf8), room: world.room, name: name)
        #expect(upload.status == 201 && upload.json["name"] as? String == name, "\(upload.text)")
        let id = try #require(upload.json["id"] as? String)
        let helper = try Helper(server: world.tackd.base, token: world.fred.token)
        let first = try await helper.run(["get", id])
        let cut = String(repeating: "ü", count: 123) + ".txt"
        #expect(first.status == 0 && first.stdout == "\(cut)\n", "\(first)")
        let second = try await helper.run(["get", id])
        #expect(second.status == 0, "\(second)")
        let saved = second.stdout.trimmingCharacters(in: .newlines)
        #expect(saved.hasSuffix("ü (1).txt") && saved.utf8.count <= 250, "\(saved)")
        #expect(FileManager.default.contents(atPath: "\(helper.home)/\(saved)") == Data("long\n".utf8))
        #expect(FileManager.default.contents(atPath: "\(helper.home)/\(cut)") == Data("long\n".utf8))
    }

    /// tackd stores names a file system would take badly (`.bashrc` would hide and overwrite a shell's start-up file,
    /// `-rf` reads as an option, `...` is all dots); tack saves each under a safe name and says which.
    @Test func hostileServerNamesAreMadeSafe() async throws {
        let world = try await World.make()
        let helper = try Helper(server: world.tackd.base, token: world.fred.token)
        let folder = "\(helper.home)/downloads"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, safe) in [(".bashrc", "_.bashrc"), ("-rf", "_-rf"), ("...", "attachment")] {
            let upload = try await world.carol.upload(Array("echo owned\n".utf8), room: world.room, name: name)
            #expect(upload.status == 201 && upload.json["name"] as? String == name, "\(name): \(upload.text)")
            let id = try #require(upload.json["id"] as? String)
            let get = try await helper.run(["get", id])
            #expect(get.status == 0 && get.stdout == "\(safe)\n", "\(name): \(get)")
            #expect(get.stderr.contains("'\(safe)'"), "\(name): \(get)")
            #expect(FileManager.default.contents(atPath: "\(helper.home)/\(safe)") == Data("echo owned\n".utf8))
            // Into a folder (-o DIR), the same safe name.
            let into = try await helper.run(["get", id, "-o", folder])
            #expect(into.status == 0 && into.stdout == "\(folder)/\(safe)\n", "\(name): \(into)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(helper.home)/.bashrc"))
        #expect(!FileManager.default.fileExists(atPath: "\(helper.home)/-rf"))
    }
}

/// The clipboard's image/png as another program pastes it, asked again for a few seconds until it is `expected`:
/// xclip takes a moment to own the selection after tack hands it the bytes.
func pastedImage(_ screen: VirtualScreen, folder: String, expecting expected: [UInt8]) async throws -> [UInt8] {
    let pasted = "\(folder)/pasted-\(UUID().uuidString).png"
    var clipboard = [UInt8]()
    for _ in 0..<50 where clipboard != expected {
        try screen.run("sh", ["-c", "xclip -selection clipboard -o -t image/png > '\(pasted)' 2>/dev/null"])
        clipboard = Array((try? Data(contentsOf: URL(fileURLWithPath: pasted))) ?? Data())
        if clipboard != expected { try await Task.sleep(for: .milliseconds(50)) }
    }
    return clipboard
}
