import ArgumentParser
import Foundation
import TackCapture
import TackClient
import TackCore

/// `tack login`: saves the server and token after checking them.
struct Login: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Save the server URL and token ($XDG_CONFIG_HOME/tack/config, mode 0600).",
        discussion: """
            Without --token the token is read from stdin: one line from a pipe or file \
            (tack login --server URL < token.txt), or typed at a prompt that does not echo it. Prefer that to \
            --token, which leaves the token in your shell history and in ps for anyone on this machine. \
            The server must be https://; plain http:// only to this machine (127.0.0.1, ::1, localhost).
            """)

    @Option(name: .long, help: "The tackd URL, e.g. https://tack.example.com.")
    var server: String

    @Option(name: .long, help: "A token from tackd token new (better: leave it out and give it on stdin).")
    var token: String?

    func run() throws {
        // The server is checked before the token is asked for: nothing is typed, let alone sent, for a refused URL.
        let normalized: String
        do { normalized = try ClientConfig.normalized(server) } catch { throw Failure(error) }
        let secret = try token ?? TokenInput.read()
        let config: ClientConfig
        do { config = try ClientConfig(server: normalized, token: secret).checked() } catch { throw Failure(error) }
        let api = TackAPI(config: config, retry: RetryPolicy(attempts: 1))
        do {
            let rooms = try api.rooms()
            try config.save(paths: ClientConfig.Paths())
            print("logged in to \(config.server); \(rooms.count) room\(rooms.count == 1 ? "" : "s")")
        } catch .unreachable(let text) {
            do { try config.save(paths: ClientConfig.Paths()) } catch { throw Failure(error) }
            Console.log("saved, but could not check the token: \(text)")
        } catch {
            throw Failure(error)
        }
    }
}

/// `tack put`: queue files and send them into a room.
struct Put: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Send files into a room; they wait in the outbox until the server confirms them.")

    @Argument(help: "Files to send.")
    var files: [String]

    @OptionGroup var upload: UploadOptions

    @Flag(name: .long, help: "Put the files' gallery links on the clipboard (needs xclip or xsel).")
    var copy = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one file") }
        guard upload.room != nil else { throw ValidationError("--room is required") }
        guard upload.retries >= 1 else { throw ValidationError("--retries is at least 1") }
    }

    func run() throws {
        // Every file is checked before anything is queued: a typo must not leave half a batch behind.
        for file in files {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
                throw Failure(.badInput, "\(file): no such file")
            }
            guard !isDirectory.boolValue else { throw Failure(.badInput, "\(file) is a folder; name files") }
            guard FileManager.default.isReadableFile(atPath: file) else { throw Failure(.badInput, "\(file): permission denied") }
        }
        let context = ClientContext()
        let courier = try context.courier(retries: upload.retries)
        let entry: OutboxEntry
        do {
            entry = try context.outbox.enqueue(room: upload.room!, message: upload.message) { draft throws(ClientError) in
                for file in files {
                    try draft.add(copying: file, name: (file as NSString).lastPathComponent, contentType: ContentTypes.guess(file))
                }
            }
        } catch {
            throw Failure(error)
        }
        let ids = try Dispatch.send(entry, courier: courier, json: upload.json)
        if copy, !ids.isEmpty { Clipboard.copy(text: ids.map(courier.api.galleryURL).joined(separator: "\n")) }
    }
}

/// Content types the server is told; it sniffs the bytes anyway, so this is only a hint.
enum ContentTypes {
    static func guess(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "pdf": return "application/pdf"
        case "txt", "log", "md": return "text/plain"
        default: return "application/octet-stream"
        }
    }
}

/// `tack rooms`.
struct Rooms: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rooms", abstract: "List your rooms.")

    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let api = try ClientContext().api(retries: 2)
        let rooms: [RoomSummary]
        do { rooms = try api.rooms() } catch { throw Failure(error) }
        if json {
            Console.json(rooms.map { ["id": $0.id, "name": $0.name, "creator": $0.creator, "members": $0.members] })
        } else {
            for room in rooms { print("\(room.id)\t\(room.name)") }
        }
    }
}

/// `tack ls ROOM`.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List a room's attachments, newest first, or those a search finds.",
        discussion: SearchHelp.text)

    @Argument(help: "The room: its id, its name, or the start of its name.") var room: String
    @Option(name: [.short, .long], parsing: .unconditional,
            help: "Only attachments this search finds, like 'from:bob type:image' (may start with -).") var query: String?
    @Option(name: .long, help: "At most this many.") var limit: Int?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let api = try ClientContext().api(retries: 2)
        let items: [AttachmentSummary]
        do {
            items = try api.attachments(room: try api.roomID(room), query: query, limit: limit ?? .max)
        } catch {
            throw Failure(error)
        }
        Listing.print(items, json: json)
    }
}

/// `tack search QUERY`: across every room.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Search the attachments of all your rooms, newest first.", discussion: SearchHelp.text)

    @Argument(parsing: .allUnrecognized,
              help: "The search, like 'from:bob type:image after:20260101'; terms may start with - (-type:link).")
    var query: [String]
    @Option(name: .long, help: "At most this many.") var limit = 50
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let api = try ClientContext().api(retries: 2)
        let items: [AttachmentSummary]
        do { items = try api.attachments(room: nil, query: query.joined(separator: " "), limit: limit) } catch { throw Failure(error) }
        Listing.print(items, json: json)
    }
}

/// `tack watch ROOM`: the room's events as they happen.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Print a room's events as they happen (new, thumbnailed, read and deleted files, messages, members).",
        discussion: "Runs until interrupted; when the connection drops it reconnects and picks up what it missed.")

    @Argument(help: "The room: its id, its name, or the start of its name.") var room: String
    @Flag(name: .long, help: "Print each event as one line of JSON.") var json = false

    func run() throws {
        let api = try ClientContext().api(retries: 4)
        let id: String
        do { id = try api.roomID(room) } catch { throw Failure(error) }
        var last: String?
        var failures = 0
        let json = self.json
        while true {
            do throws(ClientError) {
                try api.events(room: id, after: &last) { event in
                    if json {
                        Console.line(Console.jsonText([
                            "id": event.id ?? NSNull(), "event": event.kind,
                            "data": (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) ?? event.data,
                        ]))
                    } else {
                        Console.line(Watch.line(event))
                    }
                    return true
                }
                // The server ended the stream: access went (removed, token revoked; this says which), or it is
                // restarting, and the next round reconnects.
                _ = try api.room(id)
                failures = 0
            } catch .unreachable(let text) {
                failures += 1
                guard failures < 30 else { throw Failure(.queued, "lost the server: \(text)") }
                Console.log("\(text); reconnecting")
                Thread.sleep(forTimeInterval: min(30, Double(failures) * 2))
            } catch {
                throw Failure(error)
            }
        }
    }

    /// One line per event: its kind and what it is about.
    static func line(_ event: RoomEventMessage) -> String {
        let data = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) as? [String: Any] ?? [:]
        let at = data["at"] as? String ?? ""
        if let attachment = data["attachment"] as? [String: Any] {
            return "\(at)\t\(event.kind)\t\(attachment["id"] ?? "")\t\(attachment["uploader"] ?? "")\t\(attachment["name"] ?? "")"
        }
        if let message = data["message"] as? [String: Any] {
            return "\(at)\t\(event.kind)\t\(message["id"] ?? "")\t\(message["author"] ?? "")\t\(message["text"] ?? "")"
        }
        return "\(at)\t\(event.kind)\t\(data["attachmentId"] ?? data["user"] ?? "")"
    }
}

/// How `ls` and `search` print attachments.
enum Listing {
    static func print(_ items: [AttachmentSummary], json: Bool) {
        if json {
            Console.json(items.map {
                ["id": $0.id, "room": $0.room, "name": $0.name, "size": $0.size, "contentType": $0.contentType,
                 "sha256": $0.sha256, "uploader": $0.uploader, "createdAt": $0.createdAt, "types": $0.types ?? []] as [String: Any]
            })
        } else {
            for item in items { Swift.print("\(item.id)\t\(item.size)\t\(item.createdAt)\t\(item.uploader)\t\(item.name)") }
        }
    }
}

/// The search syntax, for `--help`.
enum SearchHelp {
    static let text = """
        Searches use the platform's syntax: from:bob, from:"Bob Jones", in:"Room for Project A" (across rooms), \
        before:20150501 and after:20150601 (days, inclusive, in your time zone), words and "quoted phrases" (in \
        names and message text), type:image|video|audio|document|archive|link|screenshot, name:PART, ext:pdf, \
        larger:10MB, smaller:500KB, and -term to leave out what a term finds.
        """
}

/// `tack get ATTACHMENT`: downloads, resuming a partial `.part` file with Range, and checks the SHA-256.
struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Download an attachment (a partial download resumes).",
        discussion: """
            An existing file is never replaced: the download is saved as NAME (1).EXT, NAME (2).EXT, … instead, \
            unless --force is given. The server's name is made safe first (one file name, not hidden, no control \
            characters, at most 250 bytes, leaving room for .part); tack says when it changed it.
            """)

    @Argument(help: "The attachment's id.") var attachment: String
    @Option(name: [.short, .customLong("output")], help: "Where to save it: a file or a folder (default: its name, here).")
    var output: String?
    @Flag(name: .long, help: "Replace the file if it exists.") var force = false
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let api = try ClientContext().api(retries: 4)
        do {
            let meta = try api.attachment(attachment)
            let name = DownloadName.sanitized(meta.name)
            var target = name
            if let output {
                var isDirectory: ObjCBool = false
                let folder = output.hasSuffix("/") || (FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory)
                                                       && isDirectory.boolValue)
                target = folder ? (output.hasSuffix("/") ? output : output + "/") + name : output
            }
            let namedByServer = output == nil || target != output
            if namedByServer, name != meta.name {
                Console.log("the server's name \(DownloadName.shown(meta.name)) is not safe as a file name; using '\(name)'")
            }
            let path = try Downloader(api: api).download(meta, to: target, replacing: force,
                                                        progress: Console.stderrIsTerminal ? ProgressReporter(label: name).update : nil)
            if path != target { Console.log("\(target) exists; saved as \(path) (--force replaces it)") }
            if json { Console.json(["file": path, "id": meta.id, "size": meta.size, "sha256": meta.sha256]) } else { print(path) }
        } catch {
            throw Failure(error)
        }
    }
}

/// `tack link ATTACHMENT`.
struct Link: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link", abstract: "Print a link to an attachment that opens without a token until it expires.",
        discussion: """
            For a mail, a chat elsewhere or an <img src>: anyone holding the link can open the file until it             expires, or until you leave the room. The server caps how long a link may live (a week by default).
            """)

    @Argument(help: "The attachment's id.") var attachment: String
    @Option(name: .long, help: "How long it works: seconds, or a number with s, m, h or d (default: the server's, an hour).")
    var ttl: String?
    @Flag(name: .long, help: "Open it in the browser rather than download it (images only; other files still download).")
    var inline = false
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let seconds: Int64?
        if let ttl {
            guard let parsed = LinkLifetime.seconds(ttl) else {
                throw Failure(.usage, "--ttl takes seconds or a number with s, m, h or d, like 600 or 10m, not '\(ttl)'")
            }
            seconds = parsed
        } else {
            seconds = nil
        }
        let api = try ClientContext().api(retries: 2)
        do {
            let link = try api.signedLink(to: attachment, ttl: seconds, inline: inline)
            if json { Console.json(["url": link.url, "expiresAt": link.expiresAt]) } else { print(link.url) }
        } catch {
            throw Failure(error)
        }
    }
}

/// `tack monitors`.
struct Monitors: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "monitors", abstract: "List the monitors XRandR reports.")

    @Option(name: .long, help: "The X display (default: $DISPLAY).") var display: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let monitors: [Monitor]
        do { monitors = try XConnection(name: display).monitors() } catch { throw Failure(error) }
        if json {
            Console.json(monitors.enumerated().map {
                ["index": $0.offset, "name": $0.element.name, "geometry": $0.element.rect.description,
                 "primary": $0.element.isPrimary] as [String: Any]
            })
        } else {
            for (index, monitor) in monitors.enumerated() {
                print("\(index)\t\(monitor.name)\t\(monitor.rect)\(monitor.isPrimary ? "\tprimary" : "")")
            }
        }
    }
}

/// `tack outbox`: what is waiting, and sending it.
struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "List queued captures and files, or send them.",
        subcommands: [Show.self, Flush.self, Drop.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List queued entries.")
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let entries = ClientContext().outbox.entries()
            if json {
                Console.json(entries.map { entry -> [String: Any] in
                    ["id": entry.record.id, "room": entry.record.room, "files": entry.record.items.map(\.name),
                     "sent": entry.record.items.filter { $0.attachment != nil }.count, "error": entry.record.lastError ?? NSNull()]
                })
            } else {
                for entry in entries {
                    let files = entry.record.items.map(\.name).joined(separator: ", ")
                    print("\(entry.record.id)\t\(entry.record.room)\t\(files)\(entry.record.lastError.map { "\t\($0)" } ?? "")")
                }
            }
        }
    }

    struct Flush: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "flush", abstract: "Send every queued entry.")
        @Option(name: .long, help: "Attempts per request.") var retries = 4
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let context = ClientContext()
            let courier = try context.courier(retries: retries)
            var worst: Failure?
            for entry in context.outbox.entries() {
                do {
                    _ = try Dispatch.send(entry, courier: courier, json: json)
                } catch let failure {
                    Console.log(failure.message)
                    // Unreachable is reported over a refusal: it means everything else will fail too.
                    if failure.status == .queued { throw Failure(.queued, "the server is unreachable; entries stay queued") }
                    worst = failure
                }
            }
            if let worst { throw Failure(worst.status, "some entries were refused and stay queued (tack outbox lists them)") }
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "drop", abstract: "Delete a queued entry without sending it.")
        @Argument(help: "The entry's id (tack outbox lists them).") var id: String

        func run() throws {
            let outbox = ClientContext().outbox
            guard let entry = outbox.entry(id: id) else { throw Failure(.badInput, "no outbox entry \(id)") }
            outbox.remove(entry)
        }
    }
}
