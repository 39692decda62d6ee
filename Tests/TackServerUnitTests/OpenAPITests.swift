import Foundation
import Hummingbird
import Testing
import TackCore
import TackStorage
@testable import TackServer

/// The API description and the router agree, both ways, and so does the README's table.
@Suite struct OpenAPITests {
    var document: [String: Any] {
        get throws {
            try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        }
    }

    /// `METHOD /path` for every operation the description has.
    func describedOperations() throws -> Set<String> {
        let paths = try #require(try document["paths"] as? [String: [String: Any]])
        var operations: Set<String> = []
        for (path, item) in paths {
            for method in item.keys where ["get", "post", "put", "patch", "delete", "head", "options"].contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test func everyRouteIsDescribedAndEveryDescriptionIsARoute() async throws {
        let folder = NSTemporaryDirectory() + "tack-openapi-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let catalog = try await SQLiteCatalog.open(path: folder + "/tack.sqlite")
        let router = try TackApplication.makeRouter(
            settings: Settings(), catalog: catalog, blobs: try await FileBlobStore(root: folder + "/blobs"))
        await catalog.close()
        // The gallery's pages and static files are HTML for browsers, not API; its session routes are described.
        let registered = Set(router.routes.map { "\($0.method) \($0.path)" }).subtracting([
            "GET /metrics", "GET /readyz", "GET /", "GET /rooms/{room}", "GET /attachments/{id}", "GET /static/gallery.js", "GET /static/gallery.css",
        ])
        let described = try describedOperations()
        #expect(registered.subtracting(described).isEmpty, "routes missing from openapi.json: \(registered.subtracting(described).sorted())")
        #expect(described.subtracting(registered).isEmpty, "described but not routed: \(described.subtracting(registered).sorted())")
    }

    @Test func everyPathParameterIsDeclaredAndEveryErrorIsTheJSONShape() throws {
        let paths = try #require(try document["paths"] as? [String: [String: Any]])
        for (path, item) in paths {
            let placeholders = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            let parameters = (item["parameters"] as? [[String: Any]] ?? []).compactMap { parameter -> String? in
                if let name = parameter["name"] as? String { return name }
                return (parameter["$ref"] as? String)?.split(separator: "/").last.map(String.init)
            }
            #expect(placeholders.isSubset(of: Set(parameters)), "\(path) declares \(parameters)")
            for (method, operation) in item where method != "parameters" {
                let responses = try #require((operation as? [String: Any])?["responses"] as? [String: Any])
                #expect(responses.keys.allSatisfy { Int($0) != nil }, "\(method) \(path)")
                if path.hasPrefix("/v1/"), path != "/v1/openapi.json", method != "head", method != "options" {
                    #expect(responses["401"] != nil && responses["404"] != nil, "\(method) \(path) must describe 401 and 404")
                }
            }
        }
    }

    @Test func theReadmeTableNamesTheSameOperations() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8)
        // Rows like "| `POST /rooms/{room}/attachments` | …": the table lists /v1 routes without the prefix.
        var listed: Set<String> = []
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
            let cell = line.dropFirst(3).prefix { $0 != "`" }
            let parts = cell.split(separator: " ")
            guard parts.count >= 2, ["GET", "POST", "DELETE", "HEAD", "PATCH", "PUT", "OPTIONS"].contains(String(parts[0])),
                  parts[1].hasPrefix("/") else { continue }
            listed.insert("\(parts[0]) /v1\(parts[1].prefix { $0 != "?" })")
        }
        let described = try describedOperations().filter { $0.contains(" /v1/") && !$0.hasSuffix("/openapi.json") }
        #expect(listed == described, "README only: \(listed.subtracting(described).sorted()); description only: \(described.subtracting(listed).sorted())")
    }
}
