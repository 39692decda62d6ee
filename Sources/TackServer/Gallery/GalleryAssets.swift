import Crypto
import HTTPTypes
import Hummingbird
import TackCore

/// The gallery's script and style sheet, compiled into tackd so the one binary is the whole deployment (no asset
/// folder to install beside it, nothing fetched from a CDN).
struct GalleryAsset: Sendable {
    let text: String
    let contentType: String
    /// The start of the text's SHA-256: the ETag, and the `?v=` that makes browsers fetch a changed file at once.
    let version: String

    init(_ text: String, contentType: String) {
        self.text = text
        self.contentType = contentType
        version = String(ContentHash(bytes: SHA256.hash(data: Array(text.utf8)))!.hex.prefix(16))
    }

    func response(to request: Request) -> Response {
        let etag = "\"\(version)\""
        var headers: HTTPFields = [.eTag: etag, .cacheControl: "no-cache", .xContentTypeOptions: "nosniff"]
        if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

enum GalleryAssets {
    static let script = GalleryAsset(GalleryScript.text, contentType: "text/javascript; charset=utf-8")
    static let style = GalleryAsset(GalleryStyle.text, contentType: "text/css; charset=utf-8")
}
