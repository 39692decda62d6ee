import Foundation
import TackTestSupport
import Testing

/// The .deb that `scripts/package` builds (scripts/test builds it first and names it in TACK_PACKAGE_DEB), unpacked
/// into a clean folder with `dpkg -x` and used from there, as a person who installed it would: the binary runs with
/// nothing of the build tree, its dependencies are declared, and the man page, completions and desktop entry are
/// what real tools (bash, zsh, fish, desktop-file-validate) accept.
@Suite(.serialized, .timeLimit(.minutes(10)), .ownThread) struct PackageTests {
    let deb: String
    let root: String

    init() throws {
        let deb = try #require(ProcessInfo.processInfo.environment["TACK_PACKAGE_DEB"],
                               "no package to test: scripts/test builds one with scripts/package and names it in TACK_PACKAGE_DEB")
        self.deb = deb
        root = NSTemporaryDirectory() + "tack-deb-\(UUID().uuidString)"
        let unpacked = try runProgram("/usr/bin/dpkg", ["-x", deb, root])
        try #require(unpacked.status == 0, "dpkg -x: \(unpacked.output)")
    }

    var tack: String { root + "/usr/bin/tack" }

    /// Runs a program with a bare environment: only the unpacked tree and the system's own folders on PATH.
    func clean(_ path: String, _ arguments: [String], extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try runProgram(path, arguments, environment: ["PATH": "\(root)/usr/bin:/usr/bin:/bin", "HOME": root, "LANG": "C.UTF-8"]
            .merging(extra) { $1 })
    }

    func field(_ name: String) throws -> String {
        try runProgram("/usr/bin/dpkg-deb", ["--field", deb, name]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func declaresWhatItNeedsAndCarriesNoSwiftRuntime() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try field("Package") == "tack")
        let depends = try field("Depends")
        for package in ["libc6", "libx11-6", "libxrandr2", "libpng16-16", "libjpeg62-turbo", "zlib1g", "libcurl4"] {
            #expect(depends.contains(package), "Depends lacks \(package): \(depends)")
        }
        let linked = try runProgram("/usr/bin/ldd", [tack]).output
        #expect(!linked.contains("not found"), "\(linked)")
        #expect(!linked.contains("libswift") && !linked.contains("libFoundation"), "the Swift runtime is linked in: \(linked)")
        let help = try clean(tack, ["--help"])
        #expect(help.status == 0 && help.output.contains("SUBCOMMANDS"), "\(help.output)")
    }

    @Test func capturesTheScreenFromTheUnpackedTree() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let screen = try VirtualScreen(width: 800, height: 600)
        let shot = root + "/shot.png"
        let run = try clean(tack, ["shot", "-o", shot], extra: ["DISPLAY": screen.display])
        #expect(run.status == 0, "tack shot: \(run.output)")
        let size = try Pillow.evaluate("import sys\nfrom PIL import Image\nprint(*Image.open(sys.argv[1]).size)", [shot])
        #expect(size == "800 600")
    }

    @Test func manPageHasEverySubcommand() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let page = try runProgram("/bin/zcat", [root + "/usr/share/man/man1/tack.1.gz"])
        #expect(page.status == 0)
        #expect(page.output.contains(".Dt TACK 1"))
        for command in ["login", "shot", "put", "rooms", "ls", "search", "watch", "get", "link", "monitors", "outbox"] {
            #expect(page.output.contains(".It Em \(command)"), "the man page lacks \(command)")
        }
        #expect(page.output.contains("--quality") || page.output.contains("Fl -quality"))
    }

    @Test func completionsCompleteInEachShell() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        // bash: the function the package installs, called as bash calls it (command, current word, previous word),
        // asked what follows "tack sh" and "tack shot --qu".
        let bash = root + "/usr/share/bash-completion/completions/tack"
        func complete(_ words: [String]) throws -> [String] {
            let line = words.joined(separator: " ")
            let script = """
                source "$1"; COMP_WORDS=(\(words.map { "'\($0)'" }.joined(separator: " "))); COMP_CWORD=\(words.count - 1)
                COMP_LINE='\(line)'; COMP_POINT=\(line.utf8.count)
                _tack tack "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"; printf '%s\\n' "${COMPREPLY[@]}"
                """
            let run = try clean("/bin/bash", ["-c", script, "bash", bash])
            #expect(run.status == 0, "\(run.output)")
            return run.output.split(separator: "\n").map(String.init)
        }
        #expect(try complete(["tack", "sh"]) == ["shot"])
        #expect(try complete(["tack", "shot", "--qu"]).contains("--quality"))
        // zsh and fish parse their files without running them.
        let zsh = try clean("/usr/bin/zsh", ["-n", root + "/usr/share/zsh/vendor-completions/_tack"])
        #expect(zsh.status == 0, "zsh -n: \(zsh.output)")
        let fishFile = root + "/usr/share/fish/vendor_completions.d/tack.fish"
        let fish = try clean("/usr/bin/fish", ["--no-execute", fishFile])
        #expect(fish.status == 0, "fish --no-execute: \(fish.output)")
        #expect(try String(contentsOfFile: fishFile, encoding: .utf8).contains("shot"))
    }

    @Test func desktopEntryIsValidAndRunsTheInstalledCommand() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let entry = root + "/usr/share/applications/tack-region-screenshot.desktop"
        let validated = try runProgram("/usr/bin/desktop-file-validate", [entry])
        #expect(validated.status == 0 && validated.output.isEmpty, "desktop-file-validate: \(validated.output)")
        let text = try String(contentsOfFile: entry, encoding: .utf8)
        let exec = try #require(text.split(separator: "\n").first { $0.hasPrefix("Exec=") }).dropFirst("Exec=".count)
        let words = exec.split(separator: " ").map(String.init)
        #expect(words.first == "tack" && words.contains("--select"), "Exec=\(exec)")
        // Every option it passes is one `tack shot` takes.
        let help = try clean(tack, ["shot", "--help"]).output
        for option in words.dropFirst(2) { #expect(help.contains(option), "tack shot has no \(option)") }
    }
}
