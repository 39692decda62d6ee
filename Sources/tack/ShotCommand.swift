import ArgumentParser
import Foundation
import TackCapture
import TackClient
import TackImage
import TackSpawn

/// `tack shot`: capture, write, and optionally send into a room.
struct Shot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shot", abstract: "Capture the screen, a monitor, a window, a region or a selection.",
        discussion: """
            Without --room the capture is only written (-o FILE, - for stdout, or screenshot-DATE.png here). \
            With --room it is kept in the outbox until the server confirms it, so it survives a lost network.
            """)

    @Option(name: .long, help: "A monitor: XRandR output name, index, 'primary' or 'under-cursor'.")
    var monitor: String?

    @Option(name: .long, help: "A window: id (decimal or 0x hex), 'active' or 'root'.")
    var window: String?

    @Option(name: .long, help: "A region as WxH+X+Y, e.g. \"$(slop)\".")
    var region: String?

    @Flag(name: .long, help: "Drag a rectangle with the mouse on the frozen screen (Esc or right click cancels).")
    var select = false

    @Option(name: .long, help: "Seconds to wait before capturing.")
    var delay: Double = 0

    @Flag(name: .long, help: "Include the mouse cursor.")
    var cursor = false

    @Option(name: .long, help: "png or jpeg (default: from the output's extension, else png).")
    var format: String?

    @Option(name: .long, help: "JPEG quality, 1-100.")
    var quality = 90

    @Option(name: [.short, .customLong("output")], help: "Where to write the image; - for stdout.")
    var output: String?

    @Flag(name: .long, help: "Put the link (or, without --room, the image) on the clipboard (needs xclip or xsel).")
    var copy = false

    @Flag(name: .long, help: "Put the image itself on the clipboard, as image/png or image/jpeg (needs xclip).")
    var copyImage = false

    @Flag(name: .long, help: "No desktop notification when the capture is sent or queued.")
    var noNotify = false

    @Option(name: .long, help: "The X display (default: $DISPLAY).")
    var display: String?

    @OptionGroup var upload: UploadOptions

    func validate() throws {
        let targets = [monitor != nil, window != nil, region != nil, select].filter { $0 }.count
        guard targets <= 1 else { throw ValidationError("choose one of --monitor, --window, --region and --select") }
        guard !(copy && copyImage && upload.room == nil) else { throw ValidationError("without --room, --copy already copies the image") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality is 1 to 100") }
        guard delay >= 0, delay <= 3600 else { throw ValidationError("--delay is 0 to 3600 seconds") }
        guard upload.message == nil || upload.room != nil else { throw ValidationError("--message needs --room") }
        guard upload.retries >= 1 else { throw ValidationError("--retries is at least 1") }
    }

    func run() throws {
        let format = try chooseFormat()
        if output == "-", isatty(STDOUT_FILENO) == 1 {
            throw Failure(.usage, "refusing to write image bytes to a terminal; redirect stdout or give -o FILE")
        }
        let target = try captureTarget()
        if delay > 0 { wait(delay) }
        let capture: Capture
        do {
            let connection = try XConnection(name: display)
            capture = try ScreenCapturer(connection: connection).capture(target, cursor: cursor) {
                Console.log("select an area with the mouse; Esc or the right button cancels")
            }
        } catch {
            throw Failure(error)
        }
        let name = Self.defaultName(format: format)
        let options = EncodeOptions(jpegQuality: quality)
        let encode: (Int32) throws -> Void = { fd in
            try capture.shot.withUnsafeBytes { pixels in
                try ImageFileWriter.write(pixels, width: capture.shot.width, height: capture.shot.height,
                                          stride: capture.shot.bytesPerRow, layout: .bgrx, format: format, options: options, to: fd)
            }
        }
        guard let room = upload.room else {
            let written = try OutputFile.write(to: output ?? OutputFile.unused(name), encode: encode)
            if upload.json {
                Console.json(["file": written, "width": capture.shot.width, "height": capture.shot.height,
                              "format": format.rawValue, "area": capture.area.description])
            } else if written != "-" {
                print(written)
            }
            if copy || copyImage, written != "-" { Clipboard.copy(file: written, type: format.contentType) }
            return
        }
        // Encoded once, into the outbox; `-o` gets a copy of those bytes.
        let context = ClientContext()
        let courier = try context.courier(retries: upload.retries)
        let entry: OutboxEntry
        do {
            entry = try context.outbox.enqueue(room: room, message: upload.message) { draft throws(ClientError) in
                try draft.add(name: name, contentType: format.contentType, origin: "screenshot", write: encode)
            }
        } catch {
            throw Failure(error)
        }
        if let output {
            let queued = entry.path(of: entry.record.items[0])
            let written = try OutputFile.write(to: output) { fd in try FileIO.copy(queued, to: fd) }
            if written != "-", !upload.json { print(written) }
        }
        // From the outbox's copy, which delivery removes: xclip holds the bytes it read.
        if copyImage { Clipboard.copy(file: entry.path(of: entry.record.items[0]), type: format.contentType) }
        let ids: [String]
        do {
            ids = try Dispatch.send(entry, courier: courier, json: upload.json)
        } catch {
            if error.status == .queued, !noNotify {
                Desktop.notify(summary: "Screenshot queued for \(room)",
                               body: "The server did not answer; tack outbox flush sends it when it does.")
            }
            throw error
        }
        if copy, let id = ids.first { Clipboard.copy(text: courier.api.galleryURL(of: id)) }
        if !noNotify, let id = ids.first {
            Desktop.notify(summary: "Screenshot sent to \(room)", body: courier.api.galleryURL(of: id))
        }
    }

    private func chooseFormat() throws(Failure) -> OutputFormat {
        if let format {
            guard let chosen = OutputFormat(rawValue: format.lowercased() == "jpg" ? "jpeg" : format.lowercased()) else {
                throw Failure(.usage, "--format is png or jpeg, not '\(format)'")
            }
            return chosen
        }
        guard let output, output != "-" else { return .png }
        guard let fromName = OutputFormat(fileName: output) else {
            throw Failure(.usage, "cannot tell the format from '\(output)'; name it .png or .jpg, or pass --format")
        }
        return fromName
    }

    private func captureTarget() throws(Failure) -> CaptureTarget {
        if let monitor { return .monitor(monitor) }
        if let window { return .window(window) }
        if let region {
            do { return .region(try GeometryParser.parse(region)) } catch { throw Failure(error) }
        }
        return select ? .selection : .screen
    }

    private func wait(_ seconds: Double) {
        guard Console.stderrIsTerminal else {
            Thread.sleep(forTimeInterval: seconds)
            return
        }
        var left = seconds
        while left > 0 {
            FileHandle.standardError.write(Data("\r\u{1B}[Kcapturing in \(Int(left.rounded(.up)))…".utf8))
            let step = min(1, left)
            Thread.sleep(forTimeInterval: step)
            left -= step
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// `screenshot-2026-11-30-201502.png`, in local time. strftime, not DateFormatter: the formatter loads ICU,
    /// a few milliseconds of a program started once per screenshot.
    static func defaultName(format: OutputFormat) -> String {
        var now = time(nil)
        var local = tm()
        localtime_r(&now, &local)
        var text = [CChar](repeating: 0, count: 32)
        let length = strftime(&text, text.count, "%Y-%m-%d-%H%M%S", &local)
        let stamp = String(decoding: text.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "screenshot-\(stamp).\(format.fileExtension)"
    }
}

/// Writes a file so it is never seen half written: a temporary name beside it, renamed. `-` is stdout.
enum OutputFile {
    static func write(to path: String, encode: (Int32) throws -> Void) throws(Failure) -> String {
        if path == "-" {
            do { try encode(STDOUT_FILENO) } catch { throw Failure(.badInput, "cannot write to stdout: \(error)") }
            return "-"
        }
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "" : directory + "/") + ".\((path as NSString).lastPathComponent).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(.badInput, "cannot write \(path): \(String(cString: strerror(errno)))") }
        // No fsync: like cp, a written file is as durable as the file system makes it; the rename only makes sure a
        // reader never sees half an image. (Captures sent to a room are fsynced in the outbox.)
        do {
            try encode(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw (error as? Failure) ?? Failure(.badInput, "cannot write \(path): \(error)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failure(.badInput, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return path
    }

    /// `name`, or `name` with -1, -2… before the extension: a default name never overwrites an earlier capture.
    static func unused(_ name: String) -> String {
        guard FileManager.default.fileExists(atPath: name) else { return name }
        let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        var index = 1
        while FileManager.default.fileExists(atPath: "\(base)-\(index).\(ext)") { index += 1 }
        return "\(base)-\(index).\(ext)"
    }
}

/// The X clipboard through xclip or xsel, when one is installed; a capture does not fail for want of either.
enum Clipboard {
    static func copy(text: String) {
        run(candidates: [["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]], input: Data(text.utf8))
    }

    static func copy(file: String, type: String) {
        guard let data = FileManager.default.contents(atPath: file) else { return }
        run(candidates: [["xclip", "-selection", "clipboard", "-t", type]], input: data)
    }

    private static func run(candidates: [[String]], input: Data) {
        for command in candidates {
            guard let tool = Desktop.executable(command[0]) else { continue }
            let pipe = Pipe()
            do {
                // xclip stays behind to own the selection: it must not hold tack's stdout open, or a script reading
                // tack's output would wait for it.
                _ = try ChildProcess.run(tool, Array(command.dropFirst()), input: .pipe(pipe), output: .null, error: .null)
                pipe.fileHandleForWriting.write(input)
                try pipe.fileHandleForWriting.close()
                // xclip stays in the background to serve the selection; do not wait for it.
                return
            } catch {
                continue
            }
        }
        Console.log("--copy needs xclip or xsel; install one (apt install xclip)")
    }
}
