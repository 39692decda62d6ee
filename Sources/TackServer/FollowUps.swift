import TackCore

/// What a new attachment sets going in the background, each a durable job queued before the upload is answered:
/// its thumbnail, and reading its text for search.
struct FollowUps: Sendable {
    let thumbnails: ThumbnailService
    let texts: TextService

    func prepare(_ attachment: Attachment) async {
        await thumbnails.prepare(attachment)
        await texts.prepare(attachment)
    }
}
