import Foundation
import Hummingbird
import NIOCore
import TackTestSupport

/// A real HTTP server on 127.0.0.1 playing the part of a file host: files, redirects, errors, slow and big bodies.
enum FakeUpstream {
    static let file = pseudoRandomBytes(100_000, seed: 42)

    static func start() async throws -> LocalHTTPServer {
        let router = Router()
        router.get("file/{name}") { _, context in
            let name = try context.parameters.require("name")
            return Response(status: .ok, headers: [.contentDisposition: "attachment; filename=\"\(name)\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: file)))
        }
        router.get("redirect/{n}") { _, context in
            let n = try context.parameters.require("n", as: Int.self)
            return Response(status: .found, headers: [.location: n == 0 ? "/file/chain.bin" : "/redirect/\(n - 1)"])
        }
        router.get("to/{host}/{port}") { _, context in
            let host = try context.parameters.require("host"), port = try context.parameters.require("port")
            return Response(status: .found, headers: [.location: "http://\(host):\(port)/file/elsewhere.bin"])
        }
        router.get("big") { _, _ in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: 1, count: 2 << 20)))
        }
        router.get("big-chunked") { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                for _ in 0..<32 { try await writer.write(ByteBuffer(repeating: 2, count: 65536)) }
                try await writer.finish(nil)
            })
        }
        router.get("drip") { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(repeating: 3, count: 1024))
                try await Task.sleep(for: .seconds(5))
                try await writer.write(ByteBuffer(repeating: 3, count: 1024))
                try await writer.finish(nil)
            })
        }
        router.get("trickle") { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                for _ in 0..<50 {
                    try await writer.write(ByteBuffer(repeating: 4, count: 16))
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await writer.finish(nil)
            })
        }
        router.get("gone") { _, _ in Response(status: .notFound) }
        router.get("forbidden") { _, _ in Response(status: .forbidden) }

        return try await LocalHTTPServer.start(router)
    }
}
