import Foundation
import TackCore

/// Google Drive answers a large file's download with an HTML "can't scan for viruses" page instead of the bytes.
/// This finds the real download in the three shapes that page has taken (the same three gdown handles).
public enum DriveConfirmPage {
    /// The URL the page leads to, resolved against `page`; nil when the HTML is not a confirm page.
    /// Throws when the page is Drive's own error (quota exceeded, file gone) so the member sees Google's reason.
    public static func downloadURL(in html: String, page: URL) throws(TackError) -> URL? {
        if let error = firstMatch(#"<p class="uc-error-subcaption">(.*?)</p>"#, in: html) {
            throw TackError(.upstreamRefused, "Google Drive refused the download: \(stripTags(error))")
        }
        // 1. A link straight to the confirmed download.
        if let href = firstMatch(#"href="(/uc\?export=download[^"]*)""#, in: html) {
            return URL(string: unescapeHTML(href), relativeTo: page)?.absoluteURL
        }
        // 2. A form whose hidden inputs become the query.
        if let form = firstMatch(#"(<form[^>]*id="download-form"[\s\S]*?</form>)"#, in: html),
           let action = firstMatch(#"action="([^"]*)""#, in: form),
           var components = URLComponents(url: URL(string: unescapeHTML(action), relativeTo: page)?.absoluteURL ?? page,
                                          resolvingAgainstBaseURL: true) {
            var items: [URLQueryItem] = []
            for input in allMatches(#"<input[^>]*>"#, in: form) where input.contains("type=\"hidden\"") {
                if let name = firstMatch(#"name="([^"]*)""#, in: input) {
                    items.append(URLQueryItem(name: unescapeHTML(name),
                                              value: unescapeHTML(firstMatch(#"value="([^"]*)""#, in: input) ?? "")))
                }
            }
            components.queryItems = (components.queryItems ?? []) + items
            return components.url
        }
        // 3. A JSON blob with the URL, JavaScript-escaped.
        if let raw = firstMatch(#""downloadUrl":"([^"]*)""#, in: html) {
            let unescaped = raw.replacingOccurrences(of: "\\/", with: "/")
                .replacingOccurrences(of: "\\u003d", with: "=").replacingOccurrences(of: "\\u0026", with: "&")
            return URL(string: unescaped, relativeTo: page)?.absoluteURL
        }
        return nil
    }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              match.numberOfRanges > 1, let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }

    static func allMatches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).map { String(text[$0]) }
        }
    }

    static func unescapeHTML(_ text: String) -> String {
        text.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">")
    }

    static func stripTags(_ text: String) -> String {
        text.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
