import Foundation

/// The charge of register consumptions at one instant, itemised: what `chargectl tariff quote`
/// prints and what an operator checks a bill against.
public struct Quote: Sendable, Hashable {
    /// The instant quoted.
    public let at: Date
    /// The price version in force.
    public let prices: PriceVersion
    /// The consumption quoted.
    public let consumption: Consumption
    /// The account's kWh in the tier year before this consumption.
    public let yearToDate: Energy
    /// Register energy × price, per register.
    public let registerCharges: PerRegister<Money>
    /// The total laid onto the steps it touches.
    public let tierParts: [TierPart]
    /// Σ register charges.
    public let energyCharge: Money
    /// Σ tier part charges.
    public let tierSurcharge: Money
    /// The whole charge.
    public let charge: Money
}

extension Tariff {
    /// Quotes `consumption` at `instant` for an account that has used `yearToDate` kWh in the
    /// tier year so far. Agrees with ``rate(_:from:to:position:)`` over a zero-length interval.
    public func quote(_ consumption: Consumption, at instant: Date, yearToDate: Energy) throws(RatingError) -> Quote {
        let rated = try rate(consumption, from: instant, to: instant, position: position(yearToDate: yearToDate, at: instant))
        guard let version = prices(at: instant) else { throw .noPriceInForce(instant) }
        var registerCharges = PerRegister(repeating: Money.zero)
        for register in TariffRegister.allCases {
            guard let charge = version.prices[register].charge(for: consumption.registers[register]) else {
                throw .overflow
            }
            registerCharges[register] = charge
        }
        return Quote(
            at: instant, prices: version, consumption: consumption, yearToDate: yearToDate,
            registerCharges: registerCharges,
            tierParts: tiers.parts(of: consumption.total, from: yearToDate),
            energyCharge: rated.energyCharge, tierSurcharge: rated.tierSurcharge, charge: rated.charge)
    }
}
