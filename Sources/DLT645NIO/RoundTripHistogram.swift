/// Round-trip times of a line's requests (written → reply matched) in a fixed set of buckets, so
/// it costs the same memory after a billion requests as after one. Buckets grow by a quarter from
/// 1 ms to about 40 s (longer ones share the last), so a quantile is known within 25 %.
public struct RoundTripHistogram: Hashable, Sendable {
    /// Upper bounds of the buckets, in microseconds: 1 ms × 1.25ⁱ.
    static let bounds: [Int64] = {
        var bounds: [Int64] = []
        var bound = 1000.0
        for _ in 0..<48 {
            bounds.append(Int64(bound.rounded()))
            bound *= 1.25
        }
        return bounds
    }()

    private var counts = [Int](repeating: 0, count: RoundTripHistogram.bounds.count)

    /// Round trips recorded.
    public private(set) var count = 0
    /// Their sum, in microseconds.
    public private(set) var sumMicroseconds: Int64 = 0

    public init() {}

    /// Counts one round trip.
    public mutating func record(_ roundTrip: Duration) {
        let micros = roundTrip.components.seconds &* 1_000_000 &+ roundTrip.components.attoseconds / 1_000_000_000_000
        let index = Self.bounds.firstIndex { micros <= $0 } ?? Self.bounds.count - 1
        counts[index] += 1
        count += 1
        sumMicroseconds &+= micros
    }

    /// Every `step`-th bucket's upper bound in seconds with the round trips at or below it
    /// (cumulative, as Prometheus buckets are), the last bucket always included.
    public func cumulativeBuckets(every step: Int) -> [(upperBoundSeconds: Double, count: Int)] {
        var out: [(Double, Int)] = []
        var seen = 0
        for (index, n) in counts.enumerated() {
            seen += n
            if index % max(1, step) == step - 1 || index == counts.count - 1 { out.append((Double(Self.bounds[index]) / 1e6, seen)) }
        }
        return out
    }

    /// This histogram and `other` together (every line's round trips in one).
    public func merged(with other: RoundTripHistogram) -> RoundTripHistogram {
        var sum = self
        for index in counts.indices { sum.counts[index] += other.counts[index] }
        sum.count += other.count
        sum.sumMicroseconds &+= other.sumMicroseconds
        return sum
    }

    /// The upper bound of the bucket holding the `q` quantile (0…1), in milliseconds; nil before
    /// any round trip.
    public func quantileMilliseconds(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = max(1, Int((q * Double(count)).rounded(.up)))
        var seen = 0
        for (index, n) in counts.enumerated() {
            seen += n
            if seen >= rank { return Double(Self.bounds[index]) / 1000 }
        }
        return Self.bounds.last.map { Double($0) / 1000 }
    }
}
