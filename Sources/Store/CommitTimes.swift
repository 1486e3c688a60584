/// How long the store's commit rounds take (the group commit's write transaction, from its start
/// on the writer to its commit), in fixed buckets: the same memory after a billion rounds as
/// after one. For `chargecontrol_store_commit_seconds` in `/metrics`.
public struct CommitTimes: Sendable, Hashable {
    /// Upper bounds of the buckets, in seconds (the last one is +Inf, implied).
    public static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    /// Rounds per bucket; one more than `bounds`, the last for longer rounds.
    public private(set) var counts = [Int](repeating: 0, count: CommitTimes.bounds.count + 1)
    public private(set) var count = 0
    public private(set) var sumSeconds = 0.0

    public init() {}

    mutating func record(seconds: Double) {
        let index = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        counts[index] += 1
        count += 1
        sumSeconds += seconds
    }
}
