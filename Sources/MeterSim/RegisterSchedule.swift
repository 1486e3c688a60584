import Tariffs

/// Which tariff register a meter's consumption runs into, over time. The simulator's schedules
/// are the station's own (`Tariffs.TimeOfUseSchedule`, through `TariffFileSchedule`) or one
/// register forever: one time-of-use model in the project (issue 12).
public protocol RegisterSchedule: Sendable {
    /// The register (1 sharp, 2 peak, 3 flat, 4 valley) in force at `unixSecond`, and the first
    /// unix second at which that period no longer applies (`Int64.max` when it never ends).
    func period(at unixSecond: Int64) -> (register: Int, until: Int64)
    /// The register prices in force at `unixSecond`, when the schedule comes with prices (a
    /// tariff file): a meter's first price set defaults to them.
    func prices(at unixSecond: Int64) -> PerRegister<Price>?
}

extension RegisterSchedule {
    /// A bare schedule has no prices.
    public func prices(at unixSecond: Int64) -> PerRegister<Price>? { nil }
}

/// Everything into one register (flat unless told otherwise), forever.
public struct FlatSchedule: RegisterSchedule {
    /// The register that always runs.
    public let register: Int

    /// A schedule that always names `register` (default flat).
    public init(register: TariffRegister = .flat) {
        self.register = register.rawValue
    }

    public func period(at unixSecond: Int64) -> (register: Int, until: Int64) {
        (register, Int64.max)
    }
}

/// `a` modulo `b` (positive), for registers that wrap at 999999.99 kWh.
@inline(__always)
func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
    let r = a % b
    return r < 0 ? r + b : r
}
