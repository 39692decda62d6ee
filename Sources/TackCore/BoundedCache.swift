/// A map that never holds more than `capacity` units (entries, or bytes with a `cost`), forgetting what was used
/// least recently first.
///
/// Two generations instead of a linked list: new and touched entries go to `recent`; when `recent` has used half the
/// capacity it becomes `older`, and what `older` held is dropped. Every operation is O(1) except `removeAll(where:)`,
/// nothing is allocated per hit, and an entry used within the last half-capacity of inserts is never dropped: a
/// close enough approximation of LRU for caches of rarely changing rows.
public struct BoundedCache<Key: Hashable, Value> {
    public let capacity: Int
    private let cost: (Value) -> Int
    private var recent: [Key: Value] = [:]
    private var older: [Key: Value] = [:]
    private var recentCost = 0
    private var olderCost = 0

    /// A cache of at most `capacity` entries.
    public init(capacity: Int) {
        self.init(capacity: capacity, cost: { _ in 1 })
    }

    /// A cache whose entries weigh `cost` each (bytes, say), at most `capacity` in all; a value heavier than half the
    /// capacity is never kept.
    public init(capacity: Int, cost: @escaping (Value) -> Int) {
        self.capacity = max(0, capacity)
        self.cost = cost
    }

    /// Units held now; never more than `capacity`.
    public var totalCost: Int { recentCost + olderCost }
    public var count: Int { recent.count + older.count }

    /// The value for `key`, marking it recently used.
    public mutating func value(for key: Key) -> Value? {
        if let value = recent[key] { return value }
        guard let value = older.removeValue(forKey: key) else { return nil }
        olderCost -= cost(value)
        insert(value, for: key)
        return value
    }

    public mutating func insert(_ value: Value, for key: Key) {
        let weight = cost(value)
        remove(key)
        guard weight <= capacity / 2 else { return }
        if recentCost + weight > capacity / 2 {
            older = recent
            olderCost = recentCost
            recent = [:]
            recentCost = 0
        }
        recent[key] = value
        recentCost += weight
    }

    public mutating func remove(_ key: Key) {
        if let value = recent.removeValue(forKey: key) { recentCost -= cost(value) }
        if let value = older.removeValue(forKey: key) { olderCost -= cost(value) }
    }

    /// Drops every entry `shouldRemove` picks; O(count), for the rare invalidation that is not by key.
    public mutating func removeAll(where shouldRemove: (Key, Value) -> Bool) {
        for (key, value) in recent where shouldRemove(key, value) { remove(key) }
        for (key, value) in older where shouldRemove(key, value) { remove(key) }
    }

    public mutating func removeAll() {
        recent = [:]
        older = [:]
        recentCost = 0
        olderCost = 0
    }
}
