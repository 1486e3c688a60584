import Foundation
import Tariffs

/// One collected reading of a meter's cumulative energy registers.
public struct MeterReading: Sendable, Hashable, Codable {
    /// When the station collected it (station clock): the reading's instant.
    public var collectedAt: Date
    /// The meter's own clock at the reading, when it was read; used to detect clock skew.
    public var meterTime: Date?
    /// The total active energy register.
    public var total: Energy
    /// Tariff registers 1..4 (sharp, peak, flat, valley).
    public var registers: PerRegister<Energy>

    public init(collectedAt: Date, meterTime: Date? = nil, total: Energy, registers: PerRegister<Energy>) {
        self.collectedAt = collectedAt
        self.meterTime = meterTime
        self.total = total
        self.registers = registers
    }
}

/// The consumption between two accepted readings: what the rater charges.
public struct MeterInterval: Sendable, Hashable, Codable {
    /// The earlier reading's instant.
    public let from: Date
    /// The later reading's instant.
    public let to: Date
    /// Register deltas (rollovers unwrapped).
    public let consumption: Consumption

    public init(from: Date, to: Date, consumption: Consumption) {
        self.from = from
        self.to = to
        self.consumption = consumption
    }
}
