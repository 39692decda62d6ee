import TackCore

/// Swift Testing has an `Attachment` of its own; in these tests the word means ours.
typealias Attachment = TackCore.Attachment
