import SeededRandom
/// Fault injection per request (`--drop`, `--garble`, `--nak`, `--delay-ms`).
public struct FaultConfiguration: Sendable, Hashable {
    /// Probability that a request is lost on the bus: the meter neither executes nor answers it.
    public var drop: Double
    /// Probability that the meter executes the request but its reply arrives corrupted (bad checksum).
    public var garble: Double
    /// Probability that the meter refuses the request with an abnormal reply, ERR 01, without executing it.
    public var nak: Double
    /// Range of the delay before each answer, milliseconds.
    public var delayMilliseconds: ClosedRange<Int>

    /// No faults, no delay, unless told otherwise.
    public init(drop: Double = 0, garble: Double = 0, nak: Double = 0, delayMilliseconds: ClosedRange<Int> = 0...0) {
        self.drop = drop
        self.garble = garble
        self.nak = nak
        self.delayMilliseconds = delayMilliseconds
    }

    /// Whether any fault or delay is configured.
    public var isActive: Bool { drop > 0 || garble > 0 || nak > 0 || delayMilliseconds.upperBound > 0 }

    func validate() throws(SimConfiguration.Problem) {
        for (flag, p) in [("--drop", drop), ("--garble", garble), ("--nak", nak)] where !(p >= 0 && p <= 1) {
            throw SimConfiguration.Problem(flag: "\(flag) \(p)", problem: "probability must be between 0 and 1")
        }
        guard delayMilliseconds.lowerBound >= 0, delayMilliseconds.upperBound <= 600_000 else {
            throw SimConfiguration.Problem(flag: "--delay-ms", problem: "must be within 0…600000")
        }
    }
}

/// What happens to one request on its way through a faulty bus.
public enum FaultDecision: Sendable, Hashable {
    case deliver, drop, nak, garble
}

/// Draws fault decisions from a seeded generator: the same seed and request order give the same faults.
struct FaultInjector: Sendable {
    let configuration: FaultConfiguration
    private var rng: SplitMix64

    init(configuration: FaultConfiguration, seed: UInt64) {
        self.configuration = configuration
        rng = SplitMix64(seed: seed)
    }

    /// The fate of the next request and the delay before its answer.
    mutating func next() -> (FaultDecision, delayMilliseconds: Int) {
        guard configuration.isActive else { return (.deliver, 0) }
        let decision: FaultDecision =
            rng.chance(configuration.drop) ? .drop
            : rng.chance(configuration.nak) ? .nak
            : rng.chance(configuration.garble) ? .garble
            : .deliver
        let range = configuration.delayMilliseconds
        let delay = range.lowerBound == range.upperBound ? range.lowerBound : Int.random(in: range, using: &rng)
        return (decision, delay)
    }

    /// Corrupts an encoded frame so that a receiver's checksum fails: flips the checksum byte.
    static func garble(_ bytes: inout [UInt8]) {
        guard bytes.count >= 2 else { return }
        bytes[bytes.count - 2] ^= 0xFF
    }
}
