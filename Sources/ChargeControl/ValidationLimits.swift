import Tariffs

/// A meter's rated (maximum) power in watts: no interval can honestly consume more than this
/// power over its duration.
public struct RatedPower: Sendable, Hashable, Codable {
    public let watts: Int64
    public init(watts: Int64) { self.watts = watts }

    /// The most energy the meter can register in `seconds`: W × s / 36,000 hundredths of a kWh,
    /// plus two hundredths (one for rounding the quotient, one for the register's own
    /// quantisation: a register shows whole hundredths).
    public func maximumEnergy(overSeconds seconds: Int64) -> Energy {
        let floor = multiplyDivide(max(0, watts), max(0, seconds), 36_000) ?? (Int64.max - 2)
        return Energy(hundredths: min(floor, Int64.max - 2) + 2)
    }
}

/// How far a meter's clock may be from the station's before its readings are abnormal.
public struct ClockSkewLimit: Sendable, Hashable, Codable {
    public let seconds: Int64
    public init(seconds: Int64) { self.seconds = seconds }
}

/// The bounds a reading must stay within to be billed.
public struct ValidationLimits: Sendable, Hashable, Codable {
    /// Rated power of the meter.
    public var ratedPower: RatedPower
    /// Largest accepted difference between the meter's clock and the collection instant.
    public var clockSkew: ClockSkewLimit
    /// Largest accepted |Σ tariff register deltas − total delta| (0.02 kWh by default).
    public var registerSumTolerance: Energy

    /// Registers are XXXXXX.XX kWh: after 999999.99 they wrap to 0.
    public static let registerModulus: Int64 = 100_000_000

    /// Defaults for a single-phase residential meter: 60 A × 220 V ≈ 13.2 kW, five minutes of
    /// clock skew, two hundredths of rounding between the tariff registers and the total.
    public init(
        ratedPower: RatedPower = RatedPower(watts: 13_200),
        clockSkew: ClockSkewLimit = ClockSkewLimit(seconds: 300),
        registerSumTolerance: Energy = Energy(hundredths: 2)
    ) {
        self.ratedPower = ratedPower
        self.clockSkew = clockSkew
        self.registerSumTolerance = registerSumTolerance
    }
}
