import Foundation

/// A process's resident memory sampled over a run, and whether it stayed flat.
public struct ResidentMemory: Sendable, CustomStringConvertible {
    /// (seconds since the start, VmRSS bytes).
    public var samples: [(seconds: Double, bytes: Int)] = []

    public init() {}

    public mutating func add(seconds: Double, bytes: Int) {
        guard bytes > 0 else { return }
        samples.append((seconds, bytes))
    }

    /// The judgement: after dropping the first fifth of the samples as warm-up, the highest
    /// sample of the last third of the rest may exceed the highest of its first third by at most
    /// `margin` bytes (nil: not enough samples to judge).
    public struct Verdict: Sendable {
        public let firstThirdMax: Int
        public let lastThirdMax: Int
        public let margin: Int
        public var isFlat: Bool { lastThirdMax <= firstThirdMax + margin }
    }

    /// The margin: 16 MiB or a tenth of the early peak, whichever is larger.
    public func verdict() -> Verdict? {
        let steady = Array(samples.dropFirst(samples.count / 5))
        guard steady.count >= 6 else { return nil }
        let third = steady.count / 3
        let first = steady.prefix(third).map(\.bytes).max() ?? 0
        let last = steady.suffix(third).map(\.bytes).max() ?? 0
        return Verdict(firstThirdMax: first, lastThirdMax: last, margin: max(16 << 20, first / 10))
    }

    public var peak: Int { samples.map(\.bytes).max() ?? 0 }

    /// At most `count` samples, evenly spread, as `t s: N MiB`.
    public func summary(count: Int = 12) -> String {
        guard !samples.isEmpty else { return "no samples" }
        let step = max(1, samples.count / count)
        var picked = stride(from: 0, to: samples.count, by: step).map { samples[$0] }
        if let last = samples.last, picked.last?.seconds != last.seconds { picked.append(last) }
        return picked.map { "\(Int($0.seconds)) s: \(mib($0.bytes))" }.joined(separator: ", ")
    }

    public var description: String {
        var text = "\(samples.count) samples, peak \(mib(peak)); \(summary())"
        if let v = verdict() {
            text += "\n  flat: \(v.isFlat ? "yes" : "NO") (max of the last third \(mib(v.lastThirdMax)) vs first third "
                + "\(mib(v.firstThirdMax)) + margin \(mib(v.margin)), after a warm-up of a fifth)"
        }
        return text
    }
}
