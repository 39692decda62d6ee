/// The gallery's HTML: small shells the script fills in from the API, plus the sign-in form, which works without
/// any script at all.
enum GalleryPages {
    /// Everything a page may load comes from tackd itself, and no inline script or style runs.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:", "connect-src 'self'",
        "media-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
    ].joined(separator: "; ")

    static func signIn(next: String, error: String? = nil) -> String {
        page(title: "Sign in", body: """
            <main class="sign-in">
              <h1>Tack</h1>
              <form method="post" action="/session">
                <input type="hidden" name="next" value="\(escape(next))">
                <label for="token">Your token</label>
                <input id="token" name="token" type="password" autocomplete="current-password" required autofocus
                       \(error == nil ? "" : "aria-invalid=\"true\" aria-describedby=\"token-error\"")>
                \(error.map { "<p id=\"token-error\" class=\"error\" role=\"alert\">\(escape($0))</p>" } ?? "")
                <button type="submit">Sign in</button>
              </form>
              <p class="hint">An administrator issues tokens with <code>tackd token new NAME</code>.</p>
            </main>
            """)
    }

    static func rooms() -> String {
        page(title: "Rooms", body: """
            \(header)
            <div class="layout">
              <main id="app" data-view="rooms" tabindex="-1">
                <h1>Your rooms</h1>
                <ul id="rooms" class="room-list" aria-label="Rooms"></ul>
              </main>
            </div>
            \(status)
            """)
    }

    static func room(_ id: String) -> String {
        page(title: "Room", body: """
            \(header)
            <div class="layout">
              <nav aria-label="Rooms"><ul id="rooms" class="room-list"></ul></nav>
              <main id="app" data-view="room" data-room="\(escape(id))" tabindex="-1">
                <h1 id="room-name">Room</h1>
                <form id="search" role="search">
                  <label for="q">Search this room</label>
                  <input id="q" name="q" type="search" autocomplete="off" spellcheck="false"
                         placeholder="from:bob type:image after:20260101 &quot;launch plan&quot;" aria-describedby="q-help">
                  <button type="submit">Search</button>
                  <p id="q-help" class="hint">Ctrl+Shift+F searches; Alt+Up and Alt+Down change rooms.</p>
                  <p id="q-error" class="error" role="alert" hidden></p>
                </form>
                <div id="tabs" role="tablist" aria-label="Types"></div>
                <div id="drop" class="drop" aria-describedby="drop-help">
                  <p id="drop-help" class="hint">Drop files here or paste an image to add it to this room.</p>
                  <progress id="progress" max="1" value="0" hidden aria-label="Upload progress"></progress>
                </div>
                <ul id="grid" class="grid" aria-label="Attachments"></ul>
                <p id="more" class="hint" aria-hidden="true"></p>
              </main>
            </div>
            <dialog id="preview" aria-labelledby="preview-title">
              <header><h2 id="preview-title"></h2><button type="button" id="preview-close" aria-label="Close">×</button></header>
              <div id="preview-body"></div>
              <p class="hint">Left and Right move between files; Esc closes.</p>
            </dialog>
            \(status)
            """)
    }

    static func notFound() -> String {
        page(title: "Not found", body: """
            \(header)
            <main><h1>Not found</h1><p>There is no such room, or you are not a member of it. <a href="/">Your rooms</a></p></main>
            """)
    }

    private static let header = """
        <header class="top"><a href="/" class="brand">Tack</a>
          <button type="button" id="sign-out">Sign out</button></header>
        """
    private static let status = "<div id=\"status\" class=\"visually-hidden\" role=\"status\" aria-live=\"polite\"></div>"

    private static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · Tack</title>
        <link rel="stylesheet" href="/static/gallery.css?v=\(GalleryAssets.style.version)">
        <script src="/static/gallery.js?v=\(GalleryAssets.script.version)" defer></script>
        </head>
        <body>
        \(body)
        </body>
        </html>
        """
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
