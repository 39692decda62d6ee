import Foundation
import Testing

/// What an operator watches: Prometheus metrics that parse, readiness, and JSON logs that never hold a secret.
@Suite(.timeLimit(.minutes(3))) struct ObservabilityTests {
    /// One sample line of the Prometheus text format: `name{label="value",…} number`.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Parses the exposition format by its rules (comments, HELP/TYPE, samples with escaped label values),
    /// failing on any line that is none of these.
    static func parse(_ text: String) throws -> (samples: [Sample], types: [String: String]) {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                    throw HarnessError("bad TYPE line: \(line)")
                }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            var rest = Substring(line)
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
            guard let first = name.first, first.isLetter || first == "_" || first == ":" else {
                throw HarnessError("bad metric name: \(line)")
            }
            rest = rest.dropFirst(name.count)
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    let key = rest.prefix { $0 != "=" }
                    rest = rest.dropFirst(key.count)
                    guard rest.hasPrefix("=\"") else { throw HarnessError("bad label in: \(line)") }
                    rest = rest.dropFirst(2)
                    var value = ""
                    while let character = rest.first, character != "\"" {
                        if character == "\\" {
                            rest = rest.dropFirst()
                            guard let escaped = rest.first else { throw HarnessError("bad escape in: \(line)") }
                            value.append(escaped == "n" ? "\n" : escaped)
                        } else {
                            value.append(character)
                        }
                        rest = rest.dropFirst()
                    }
                    guard rest.first == "\"" else { throw HarnessError("unterminated label in: \(line)") }
                    rest = rest.dropFirst()
                    labels[String(key)] = value
                    if rest.first == "," { rest = rest.dropFirst() }
                }
                rest = rest.dropFirst()
            }
            guard rest.first == " ", let value = Double(rest.dropFirst().split(separator: " ").first ?? "") else {
                throw HarnessError("bad sample value: \(line)")
            }
            samples.append(Sample(name: String(name), labels: labels, value: value))
        }
        return (samples, types)
    }

    @Test func metricsAreScrapedInThePrometheusFormat() async throws {
        let world = try await World.make()
        let bytes = pseudoRandomBytes(12_345, seed: 4)
        let upload = try await world.fred.upload(bytes, room: world.room)
        let id = try #require(upload.json["id"] as? String)
        #expect(try await world.fred.request(.GET, "/v1/attachments/\(id)/content").status == 200)
        #expect(try await world.mallory.request(.GET, "/v1/attachments/\(id)").status == 404)
        let scrape = try await API(base: world.tackd.base, token: nil).request(.GET, "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let (samples, types) = try Self.parse(scrape.text)
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
        }
        #expect(value("tack_upload_bytes_total") == 12_345)
        #expect(value("tack_download_bytes_total") == 12_345)
        #expect(value("hb_requests", ["http_route": "/v1/rooms/{room}/attachments", "http_response_status_code": "201"]) == 1,
                "\(samples.filter { $0.name == "hb_requests" })")
        #expect(value("hb_requests", ["http_route": "/v1/attachments/{id}", "http_response_status_code": "404"]) == 1)
        #expect(types["http_server_request_duration"] == "histogram", "\(types)")
        #expect((value("tack_catalog_bytes") ?? 0) > 0, "the catalog's size is known from the start")
        #expect(value("tack_blobs") != nil)
        #expect(samples.contains { $0.name == "http_server_request_duration_bucket" && $0.labels["le"] == "+Inf" })
        let ready = try await API(base: world.tackd.base, token: nil).request(.GET, "/readyz")
        #expect(ready.status == 200 && ready.text == "ready")
    }

    @Test func metricsMoveToTheirOwnListenerOrGoAway() async throws {
        let off = try await World.make(config: ["metrics": "off"])
        #expect(try await API(base: off.tackd.base, token: nil).request(.GET, "/metrics").status == 404)
        let port = try RawListener().port // a free port, released when the listener goes
        let separate = try await World.make(config: ["metrics": "127.0.0.1:\(port)"])
        #expect(try await API(base: separate.tackd.base, token: nil).request(.GET, "/metrics").status == 404)
        var scraped: Reply?
        for _ in 0..<50 where scraped == nil {
            scraped = try? await API(base: "http://127.0.0.1:\(port)", token: nil).request(.GET, "/metrics")
            if scraped == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(scraped?.status == 200)
    }

    @Test func jsonLogsNameEveryRequestAndNoSecret() async throws {
        let tackd = try Tackd()
        let carol = try await tackd.addUser("carol", role: "client")
        let fred = try await tackd.addUser("fred", role: "freelancer")
        let log = "\(tackd.storage)/stderr.log"
        try await tackd.start(["--log-format", "json"], environment: ["TACK_LOG_LEVEL": "info"], stderr: log)
        let api = API(base: tackd.base, token: carol)
        let room = try #require(try await api.json(.POST, "/v1/rooms", ["name": "R", "members": ["fred"]]).json["id"] as? String)
        let upload = try await API(base: tackd.base, token: fred).upload([1, 2, 3], room: room, name: "a.txt")
        let requestID = try #require(upload.headers.first(name: "x-request-id"))
        _ = try await API(base: tackd.base, token: "tack_wrong_secret_value").request(.GET, "/v1/rooms")
        try await Task.sleep(for: .milliseconds(300))
        tackd.kill()
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
        let uploadLine = objects.first { $0["route"] as? String == "/v1/rooms/{room}/attachments" }
        #expect(uploadLine?["status"] as? String == "201")
        #expect(uploadLine?["hb.request.id"] as? String == requestID, "the answer's X-Request-Id names its log line")
        let text = lines.joined(separator: "\n")
        for secret in [carol, fred, "tack_wrong_secret_value"] {
            #expect(!text.contains(secret), "a token reached the log")
            #expect(!text.contains(String(secret.suffix(20))))
        }
    }
}
