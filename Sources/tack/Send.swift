import ArgumentParser
import Foundation
import TackClient

/// Options shared by commands that upload.
struct UploadOptions: ParsableArguments {
    @Option(name: .long, help: "The room to send to: its id, its name, or the start of its name.")
    var room: String?

    @Option(name: .long, help: "A message to post with the files.")
    var message: String?

    @Option(name: .long, help: "Attempts per request on network failures and 5xx answers (at least 1).")
    var retries = 4

    @Flag(name: .long, help: "Print results as JSON.")
    var json = false
}

/// Sends a committed outbox entry and reports the outcome the same way for `shot`, `put` and `outbox flush`.
enum Dispatch {
    static func send(_ entry: OutboxEntry, courier: Courier, json: Bool) throws(Failure) -> [String] {
        do {
            let ids = try courier.deliver(entry)
            if json {
                Console.json(["entry": entry.record.id, "room": entry.record.room, "attachments": ids.map { id in
                    ["id": id, "url": courier.api.galleryURL(of: id), "content": courier.api.contentURL(of: id)]
                }])
            } else {
                for id in ids { print(courier.api.galleryURL(of: id)) }
            }
            return ids
        } catch .unreachable(let text) {
            if json { Console.json(["entry": entry.record.id, "room": entry.record.room, "queued": true]) }
            throw Failure(.queued, "queued as \(entry.record.id): \(text); tack outbox flush sends it later")
        } catch {
            throw Failure(error)
        }
    }
}
