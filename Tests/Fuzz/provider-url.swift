// libFuzzer target: share links to downloads (ProviderRules). Whatever is pasted, a plan fetches https (http
// only when allowed), carries no credentials, and for a known provider goes to that provider's own origin.
import Foundation
import TackCore
@testable import TackLinks

let strict = ProviderRules()
let lenient = ProviderRules(allowHTTP: true)
let endpoints = ProviderEndpoints()
let origins: [Provider: Set<String>] = [
    .dropbox: [endpoints.dropbox, endpoints.dropboxContent],
    .googleDrive: [endpoints.googleDrive, endpoints.googleDocs],
    .oneDrive: [endpoints.oneDriveAPI],
    .box: [endpoints.box],
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let link = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for rules in [strict, lenient] {
        guard let plan = try? rules.plan(for: link) else { continue }
        let url = plan.download
        let scheme = url.scheme?.lowercased()
        precondition(scheme == "https" || (rules.allowHTTP && scheme == "http"), "\(link) -> \(url)")
        precondition(url.user == nil && url.password == nil, "\(link) -> \(url) carries credentials")
        if let allowed = origins[plan.provider] {
            let origin = "\(scheme ?? "")://\(url.host ?? "")"
            precondition(allowed.contains(origin), "\(plan.provider) link \(link) -> \(url) leaves \(allowed)")
        }
    }
    return 0
}
