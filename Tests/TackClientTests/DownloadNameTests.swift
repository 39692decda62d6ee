import Testing
@testable import TackClient

@Suite struct DownloadNameTests {
    /// Hostile names from a server, and what each is saved as.
    @Test(arguments: [
        ("report.pdf", "report.pdf"),
        ("screenshot 2024-05-01.png", "screenshot 2024-05-01.png"),
        ("Überweisung – März.pdf", "Überweisung – März.pdf"),
        (".bashrc", "_.bashrc"),
        ("..bashrc", "_..bashrc"),
        ("-rf", "_-rf"),
        ("../x", "_.._x"),
        ("../../.ssh/authorized_keys", "_.._.._.ssh_authorized_keys"),
        ("/etc/passwd", "_etc_passwd"),
        ("a\\b.txt", "a_b.txt"),
        ("evil\u{202E}gpj.exe", "evil_gpj.exe"),
        ("x\u{2066}y\u{2069}\u{200F}.txt", "x_y__.txt"),
        ("line\nbreak\r.txt", "line_break_.txt"),
        ("bell\u{07}\u{1B}[31m.txt", "bell__[31m.txt"),
        ("nul\u{0}.txt", "nul_.txt"),
        ("del\u{7F}c1\u{85}.txt", "del_c1_.txt"),
        ("sep\u{2028}par\u{2029}.txt", "sep_par_.txt"),
        ("  padded.txt  ", "padded.txt"),
        ("\n.hidden", "_.hidden"),
        ("\u{1}", "_"),
        ("", "attachment"),
        (".", "attachment"),
        ("..", "attachment"),
        ("...", "attachment"),
        ("   ", "attachment"),
        ("/", "_"),
    ])
    func sanitizes(raw: String, expected: String) {
        #expect(DownloadName.sanitized(raw) == expected)
    }

    /// A dot that starts a grapheme cluster (`.` + combining accent) still starts the file name's bytes.
    @Test func aLeadingDotIsSeenInBytesNotCharacters() {
        #expect(DownloadName.sanitized(".\u{301}profile") == "_.\u{301}profile")
    }

    /// 250 bytes: a file system's 255 less the `.part` a download is written to first.
    @Test func longNamesKeepTheirExtensionAndFitInBytes() {
        let long = String(repeating: "a", count: 300) + ".tar.gz"
        let cut = DownloadName.sanitized(long)
        #expect(cut.utf8.count == 250 && cut.hasSuffix("a.gz") && cut.hasPrefix("aaa"))
        // Multi-byte characters are never split.
        let wide = DownloadName.sanitized(String(repeating: "ü", count: 200) + ".txt")
        #expect(wide.utf8.count <= 250 && wide.utf8.count >= 248 && wide.hasSuffix("ü.txt"))
        #expect(wide.unicodeScalars.allSatisfy { $0 == "ü" || ".txt".unicodeScalars.contains($0) })
        // An "extension" too long to be one is cut like the rest.
        let noExtension = DownloadName.sanitized("a." + String(repeating: "b", count: 300))
        #expect(noExtension.utf8.count == 250 && noExtension.hasPrefix("a.bbb"))
        // A hidden long name keeps its prefix.
        let hidden = DownloadName.sanitized("." + String(repeating: "c", count: 400))
        #expect(hidden.utf8.count == 250 && hidden.hasPrefix("_.ccc"))
        // One enormous character (a letter with 300 accents) is cut by scalars rather than vanish.
        let accents = DownloadName.sanitized("e" + String(repeating: "\u{301}", count: 300) + ".txt")
        #expect((249...250).contains(accents.utf8.count) && accents.unicodeScalars.starts(with: "e\u{301}".unicodeScalars)
                && accents.hasSuffix(".txt"))
    }

    @Test(arguments: [
        ("notes.txt", 1, "notes (1).txt"),
        ("notes.txt", 12, "notes (12).txt"),
        ("notes.txt", 0, "notes.txt"),
        ("archive.tar.gz", 2, "archive.tar (2).gz"),
        ("Makefile", 3, "Makefile (3)"),
        (".bashrc", 1, ".bashrc (1)"),
        ("_.bashrc", 1, "_ (1).bashrc"),
    ])
    func numbers(name: String, n: Int, expected: String) {
        #expect(DownloadName.numbered(name, n) == expected)
    }

    @Test func numberedNamesStillFit() {
        let full = String(repeating: "x", count: 251) + ".png"
        let second = DownloadName.numbered(full, 2)
        #expect(second.utf8.count == 250 && second.hasSuffix("x (2).png"))
    }

    @Test func picksTheFirstFreeName() {
        #expect(DownloadName.unused("a.txt") { _ in false } == "a.txt")
        let taken: Set = ["a.txt", "a (1).txt", "a (2).txt", "a (4).txt"]
        #expect(DownloadName.unused("a.txt") { taken.contains($0) } == "a (3).txt")
        #expect(DownloadName.unused("a.txt") { _ in true } == nil)
    }

    @Test func showsHostileNamesWithoutTheirEffects() {
        #expect(DownloadName.shown("evil\u{202E}gpj.exe") == "'evil\\u{202E}gpj.exe'")
        #expect(DownloadName.shown("a\u{1B}[2Jb") == "'a\\u{1B}[2Jb'")
        #expect(DownloadName.shown("fine.txt") == "'fine.txt'")
    }
}
