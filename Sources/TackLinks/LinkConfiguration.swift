import NIOSSL
import TackCore

extension ProviderRules {
    /// The rules with the operator's endpoints and scheme setting.
    public init(settings: LinkSettings) {
        var endpoints = ProviderEndpoints()
        let e = settings.endpoints
        if let v = e["link_endpoint_dropbox"] { endpoints.dropbox = v }
        if let v = e["link_endpoint_dropbox_content"] { endpoints.dropboxContent = v }
        if let v = e["link_endpoint_google_drive"] { endpoints.googleDrive = v }
        if let v = e["link_endpoint_google_docs"] { endpoints.googleDocs = v }
        if let v = e["link_endpoint_onedrive"] { endpoints.oneDriveAPI = v }
        if let v = e["link_endpoint_box"] { endpoints.box = v }
        self.init(endpoints: endpoints, allowHTTP: settings.allowHTTP)
    }
}

extension GuardedFetcher {
    /// The fetcher the operator configured: allowed ranges and hosts, fixed name answers, and limits.
    public init(settings: LinkSettings, fallbackResolver: (any HostResolver)? = SystemResolver()) throws(TackError) {
        var ranges: [AddressRange] = []
        for text in settings.allow {
            guard let range = AddressRange(text) else {
                throw .invalid(.invalidSetting, "link_allow: '\(text)' is not an address or range like 10.0.0.0/8")
            }
            ranges.append(range)
        }
        var overrides: [String: [IPAddress]] = [:]
        for entry in settings.resolve {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let address = IPAddress.parse(parts[1]) else {
                throw .invalid(.invalidSetting, "link_resolve: '\(entry)' must look like host=address")
            }
            overrides[parts[0].lowercased(), default: []].append(address)
        }
        var trusted: [NIOSSLCertificate] = []
        if let path = settings.caFile {
            do {
                trusted = try NIOSSLCertificate.fromPEMFile(path)
            } catch {
                throw .invalid(.invalidSetting, "link_ca_file: \(path) cannot be read as PEM certificates (\(error))")
            }
            guard !trusted.isEmpty else { throw .invalid(.invalidSetting, "link_ca_file: \(path) holds no certificate") }
        }
        var limits = FetchLimits()
        limits.maxBytes = settings.maxBytes
        limits.totalTime = .seconds(settings.timeoutSeconds)
        limits.stallTime = .seconds(settings.stallSeconds)
        limits.maxRedirects = settings.maxRedirects
        self.init(
            policy: OutboundPolicy(addresses: AddressPolicy(allowed: ranges), allowedHosts: Set(settings.allowHosts.map { $0.lowercased() }),
                                   allowHTTP: settings.allowHTTP),
            limits: limits,
            resolver: OverridingResolver(overrides: overrides, fallback: fallbackResolver), trusted: trusted)
    }
}
