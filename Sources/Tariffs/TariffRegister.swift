/// The meter's tariff registers (DL/T 645 tariff 1..4). The raw value is the register number.
public enum TariffRegister: Int, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case sharp = 1
    case peak = 2
    case flat = 3
    case valley = 4

    /// The name used in tariff files and JSON (`"peak"`).
    public var name: String {
        switch self {
        case .sharp: return "sharp"
        case .peak: return "peak"
        case .flat: return "flat"
        case .valley: return "valley"
        }
    }

    /// The register named `name` in a tariff file, or `nil`.
    public init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }

    public var description: String { name }
}

/// One value per tariff register: the prices of a tariff, the consumption of an interval, the
/// cumulative readings of a meter.
public struct PerRegister<Value>: Sendable where Value: Sendable {
    public var sharp: Value
    public var peak: Value
    public var flat: Value
    public var valley: Value

    /// One value per register, in register order.
    public init(sharp: Value, peak: Value, flat: Value, valley: Value) {
        self.sharp = sharp
        self.peak = peak
        self.flat = flat
        self.valley = valley
    }

    /// The same value for every register.
    public init(repeating value: Value) {
        self.init(sharp: value, peak: value, flat: value, valley: value)
    }

    /// The value of `register`.
    public subscript(register: TariffRegister) -> Value {
        get {
            switch register {
            case .sharp: return sharp
            case .peak: return peak
            case .flat: return flat
            case .valley: return valley
            }
        }
        set {
            switch register {
            case .sharp: sharp = newValue
            case .peak: peak = newValue
            case .flat: flat = newValue
            case .valley: valley = newValue
            }
        }
    }

    /// Applies `transform` to each register's value.
    public func map<Other: Sendable>(_ transform: (Value) throws -> Other) rethrows -> PerRegister<Other> {
        PerRegister<Other>(
            sharp: try transform(sharp), peak: try transform(peak),
            flat: try transform(flat), valley: try transform(valley))
    }
}

extension PerRegister: Equatable where Value: Equatable {}
extension PerRegister: Hashable where Value: Hashable {}
extension PerRegister: Codable where Value: Codable {}

extension PerRegister where Value == Energy {
    /// No energy on any register.
    public static var zero: PerRegister<Energy> { PerRegister(repeating: .zero) }

    /// The sum over the four registers, or `nil` on overflow.
    public var sum: Energy? {
        var total = Energy.zero
        for register in TariffRegister.allCases {
            guard let next = total.adding(self[register]) else { return nil }
            total = next
        }
        return total
    }
}
