import Foundation

/// Documents written by real programs for the text-extraction tests, through the system Python (Debian's
/// python3-docx, python3-openpyxl, python3-odf, python3-reportlab).
public enum Documents {
    /// Runs `script` (with `sys` imported and the output path in `sys.argv[1]`) and returns the file's bytes.
    public static func write(_ ext: String, _ script: String) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "document-\(UUID().uuidString).\(ext)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try Pillow.evaluate("import sys\n" + script, [path])
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A docx whose body inflates to 200 MB of one paragraph, "boom", from about 600 KB.
    public static func zipBomb() throws -> [UInt8] {
        try write("docx", """
            import zipfile
            para = b"<w:p><w:r><w:t>boom</w:t></w:r></w:p>" * 10000
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
                with z.open("word/document.xml", "w") as f:
                    f.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
                    for _ in range(200 * 1024 * 1024 // len(para)): f.write(para)
                    f.write(b"</w:body></w:document>")
            """)
    }
}
