import Foundation
import Testing
import TackCore
@testable import TackLinks

@Suite struct ProviderRulesTests {
    let rules = ProviderRules()

    @Test(arguments: [
        // Dropbox: dl=1 set, every other parameter (above all rlkey) kept, order preserved.
        ("https://www.dropbox.com/s/abc123/report.pdf?dl=0", Provider.dropbox,
         "https://www.dropbox.com/s/abc123/report.pdf?dl=1", "report.pdf"),
        ("https://www.dropbox.com/scl/fi/x1y2z3/Plan%20B.pdf?rlkey=k9k9&dl=0", .dropbox,
         "https://www.dropbox.com/scl/fi/x1y2z3/Plan%20B.pdf?rlkey=k9k9&dl=1", "Plan B.pdf"),
        ("https://www.dropbox.com/scl/fi/x1y2z3/a.png?rlkey=k9k9&st=zz&raw=1", .dropbox,
         "https://www.dropbox.com/scl/fi/x1y2z3/a.png?rlkey=k9k9&st=zz&dl=1", "a.png"),
        ("https://dropbox.com/s/abc123/notes.txt", .dropbox, "https://www.dropbox.com/s/abc123/notes.txt?dl=1", "notes.txt"),
        ("https://dl.dropboxusercontent.com/s/abc123/notes.txt?rlkey=q", .dropbox,
         "https://dl.dropboxusercontent.com/s/abc123/notes.txt?rlkey=q", "notes.txt"),
        // Google Drive: the three share shapes, and Docs exports.
        ("https://drive.google.com/file/d/1AbC-d_9/view?usp=sharing", .googleDrive,
         "https://drive.google.com/uc?export=download&id=1AbC-d_9", nil),
        ("https://drive.google.com/file/u/1/d/1AbC-d_9/view", .googleDrive,
         "https://drive.google.com/uc?export=download&id=1AbC-d_9", nil),
        ("https://drive.google.com/open?id=1AbC-d_9", .googleDrive, "https://drive.google.com/uc?export=download&id=1AbC-d_9", nil),
        ("https://drive.google.com/uc?id=1AbC-d_9&export=view", .googleDrive,
         "https://drive.google.com/uc?export=download&id=1AbC-d_9", nil),
        ("https://docs.google.com/document/d/1DoC/edit?usp=sharing", .googleDrive,
         "https://docs.google.com/document/d/1DoC/export?format=docx", nil),
        ("https://docs.google.com/spreadsheets/d/1ShEeT/edit#gid=0", .googleDrive,
         "https://docs.google.com/spreadsheets/d/1ShEeT/export?format=xlsx", nil),
        ("https://docs.google.com/presentation/d/1SlIdE/edit", .googleDrive,
         "https://docs.google.com/presentation/d/1SlIdE/export?format=pptx", nil),
        // OneDrive: the shares API with the link base64url-encoded behind u!.
        ("https://1drv.ms/u/s!AkLm2pTwx", .oneDrive,
         "https://api.onedrive.com/v1.0/shares/u!aHR0cHM6Ly8xZHJ2Lm1zL3UvcyFBa0xtMnBUd3g/root/content", nil),
        ("https://onedrive.live.com/redir?resid=ABC!123&authkey=!XYZ", .oneDrive,
         "https://api.onedrive.com/v1.0/shares/u!aHR0cHM6Ly9vbmVkcml2ZS5saXZlLmNvbS9yZWRpcj9yZXNpZD1BQkMhMTIzJmF1dGhrZXk9IVhZWg/root/content", nil),
        // Box.
        ("https://app.box.com/s/q8p7o6n5", .box, "https://app.box.com/shared/static/q8p7o6n5", nil),
        // Anything else.
        ("https://example.com/files/Q3%20report.xlsx?x=1", .https, "https://example.com/files/Q3%20report.xlsx?x=1", "Q3 report.xlsx"),
        ("https://example.com/", .https, "https://example.com/", nil),
    ] as [(String, Provider, String, String?)])
    func resolvesShareLinks(link: String, provider: Provider, download: String, name: String?) throws {
        let plan = try rules.plan(for: link)
        #expect(plan.provider == provider)
        #expect(plan.download.absoluteString == download)
        #expect(plan.suggestedName == name)
    }

    @Test(arguments: [
        ("https://www.dropbox.com/sh/abc/def?dl=0", "folder_link"),
        ("https://www.dropbox.com/scl/fo/abc/def?rlkey=x&dl=0", "folder_link"),
        ("https://www.dropbox.com/home", "unsupported_link"),
        ("https://drive.google.com/drive/folders/1FoLdEr", "folder_link"),
        ("https://drive.google.com/file/d/bad%2Fid/view", "unsupported_link"),
        ("https://app.box.com/folder/123", "unsupported_link"),
        ("http://example.com/a.pdf", "unsupported_scheme"),
        ("ftp://example.com/a.pdf", "unsupported_scheme"),
        ("file:///etc/passwd", "invalid_url"),
        ("https://user:secret@example.com/a.pdf", "credentials_in_url"),
        ("not a url", "invalid_url"),
    ])
    func refusesWhatItCannotFetch(link: String, code: String) {
        #expect(throws: TackError.self) { try rules.plan(for: link) }
        do {
            _ = try rules.plan(for: link)
        } catch {
            #expect(error.code == code, "\(link)")
        }
    }

    @Test func endpointsAreSettings() throws {
        var endpoints = ProviderEndpoints()
        endpoints.dropbox = "http://127.0.0.1:8123"
        endpoints.googleDrive = "http://127.0.0.1:8124/drive"
        let local = ProviderRules(endpoints: endpoints, allowHTTP: true)
        #expect(try local.plan(for: "https://www.dropbox.com/scl/fi/i/n.bin?rlkey=r&dl=0").download.absoluteString
                == "http://127.0.0.1:8123/scl/fi/i/n.bin?rlkey=r&dl=1")
        #expect(try local.plan(for: "https://drive.google.com/open?id=F1").download.absoluteString
                == "http://127.0.0.1:8124/drive/uc?export=download&id=F1")
        #expect(try local.plan(for: "http://127.0.0.1:9/x").provider == .https)
    }
}

@Suite struct DriveConfirmPageTests {
    let page = URL(string: "https://drive.google.com/uc?export=download&id=BIG")!

    @Test func linkShape() throws {
        let html = """
            <html><body><p>Google Drive can't scan this file for viruses.</p>
            <a id="uc-download-link" href="/uc?export=download&amp;confirm=t0K3n&amp;id=BIG">Download anyway</a></body></html>
            """
        #expect(try DriveConfirmPage.downloadURL(in: html, page: page)?.absoluteString
                == "https://drive.google.com/uc?export=download&confirm=t0K3n&id=BIG")
    }

    @Test func formShape() throws {
        let html = """
            <form id="download-form" action="https://drive.usercontent.google.com/download" method="get">
              <input type="submit" id="uc-download-link" value="Download anyway"/>
              <input type="hidden" name="id" value="BIG"><input type="hidden" name="export" value="download">
              <input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="u-1&amp;2">
            </form>
            """
        #expect(try DriveConfirmPage.downloadURL(in: html, page: page)?.absoluteString
                == "https://drive.usercontent.google.com/download?id=BIG&export=download&confirm=t&uuid=u-1%262")
    }

    @Test func jsonShape() throws {
        let html = #"<script>var data = {"downloadUrl":"https:\/\/doc-0s.googleusercontent.com\/docs\/x?e\u003ddownload\u0026id\u003dBIG"};</script>"#
        #expect(try DriveConfirmPage.downloadURL(in: html, page: page)?.absoluteString
                == "https://doc-0s.googleusercontent.com/docs/x?e=download&id=BIG")
    }

    @Test func errorsAndOtherPages() throws {
        let quota = #"<p class="uc-error-subcaption">Too many users have viewed or downloaded this file recently.</p>"#
        #expect(throws: TackError.self) { try DriveConfirmPage.downloadURL(in: quota, page: page) }
        #expect(try DriveConfirmPage.downloadURL(in: "<html><body>Hello</body></html>", page: page) == nil)
    }
}
