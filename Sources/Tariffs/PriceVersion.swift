import Foundation

/// The register prices from one effective instant on, until the next version takes effect.
public struct PriceVersion: Sendable, Hashable {
    /// When these prices take effect.
    public let effective: Date
    /// The price of each tariff register.
    public let prices: PerRegister<Price>

    public init(effective: Date, prices: PerRegister<Price>) {
        self.effective = effective
        self.prices = prices
    }
}
