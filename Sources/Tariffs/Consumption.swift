/// Energy used over an interval (or quoted at an instant): per tariff register and in total.
///
/// The total register and the tariff registers are separate meter registers; they may disagree
/// by a hundredth or two through rounding. Register energy is priced per register, and the total
/// is what the annual tiers count.
public struct Consumption: Sendable, Hashable, Codable {
    /// Energy per tariff register.
    public var registers: PerRegister<Energy>
    /// Energy on the total register; laid onto the annual tiers.
    public var total: Energy

    /// A consumption with an explicit total (from the meter's total register).
    public init(registers: PerRegister<Energy>, total: Energy) {
        self.registers = registers
        self.total = total
    }

    /// A consumption whose total is the sum of its registers (a quote from register figures).
    /// `nil` when the sum overflows.
    public init?(registers: PerRegister<Energy>) {
        guard let sum = registers.sum else { return nil }
        self.init(registers: registers, total: sum)
    }

    /// Nothing used.
    public static let zero = Consumption(registers: .zero, total: .zero)
}
