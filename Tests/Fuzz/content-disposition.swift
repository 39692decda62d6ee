// libFuzzer target: Content-Disposition (RFC 6266 with RFC 8187 filename*). Any header parses or throws; the
// header tackd writes for any file name reads back as exactly that name.
import TackCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? ContentDisposition.parameters(text)
    _ = try? ContentDisposition.fileName(fromHeader: text)
    for inline in [false, true] {
        let header = ContentDisposition.header(inline: inline, fileName: text)
        let back: String?
        do { back = try ContentDisposition.fileName(fromHeader: header) } catch {
            preconditionFailure("tackd's own header \(header) does not parse: \(error)")
        }
        precondition(back == text, "the name \(text.debugDescription) came back as \(String(describing: back?.debugDescription))")
    }
    return 0
}
