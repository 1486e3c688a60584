import DLT645
import Foundation
import Synchronization

/// The state of one terminal's meters, guarded by the terminal's mutex.
struct TerminalBank: Sendable {
    /// One compact record per meter, local index order.
    var meters: [MeterState]
    /// The 14H writes accepted, by local meter index; most meters have none, so no entry.
    var parameters: [Int: WrittenParameters] = [:]
    /// This terminal's fault generator.
    var faults: FaultInjector
}

/// One simulated terminal: a contiguous block of meters behind one TCP port.
public final class SimTerminal: Sendable {
    /// 0-based terminal number; it listens on base port + index.
    public let index: Int
    /// Index (over the whole simulator) of this terminal's first meter.
    public let firstMeter: Int
    /// How many meters it serves.
    public let meterCount: Int
    let bank: Mutex<TerminalBank>

    init(index: Int, firstMeter: Int, meters: [MeterState], faults: FaultInjector) {
        self.index = index
        self.firstMeter = firstMeter
        meterCount = meters.count
        bank = Mutex(TerminalBank(meters: meters, faults: faults))
    }
}

/// Every simulated meter, in per-terminal banks, and the operations on them that do not need a
/// socket: answering a frame (`respond(to:onTerminal:)`), snapshots and changes for the admin API.
public final class MeterFleet: Sendable {
    /// The configuration the fleet was built from.
    public let configuration: SimConfiguration
    /// Where simulated time comes from.
    public let clock: any SimClock
    /// The terminals, by index.
    public let terminals: [SimTerminal]
    /// Remote-control requests received, when `configuration.recordControls`.
    public let controlLog: ControlLog?
    let consumption: ConsumptionModel
    let load: LoadProfile
    /// The time zone's offset when it has no daylight saving (most meters' zones): saves a
    /// Foundation call per request.
    let fixedUTCOffset: Int64?
    /// What meters show for parameters nobody wrote.
    public let parameterDefaults: ParameterDefaults

    /// Builds the fleet; every meter starts closed with `initialHundredths` in its flat register
    /// and its clock `--clock-drift-s` off (drawn per meter from the seed).
    public init(configuration: SimConfiguration, clock: any SimClock) throws(SimConfiguration.Problem) {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
        controlLog = configuration.recordControls ? ControlLog() : nil
        consumption = ConsumptionModel(schedule: configuration.schedule)
        load = LoadProfile(averageWatts: configuration.loadWatts, seed: configuration.seed)
        let zone = configuration.timeZone
        let start = Date(timeIntervalSince1970: TimeInterval(clock.nowSeconds()))
        fixedUTCOffset = zone.nextDaylightSavingTimeTransition(after: start) == nil
            ? Int64(zone.secondsFromGMT(for: start)) : nil
        parameterDefaults = configuration.schedule.prices(at: clock.nowSeconds()).map(ParameterDefaults.init(prices:))
            ?? ParameterDefaults()
        let initial = MeterState(initialHundredths: configuration.initialHundredths, at: clock.nowSeconds())
        let block = configuration.blockSize
        let drift = configuration.clockDriftSeconds
        terminals = (0..<configuration.terminals).map { t in
            let first = t * block
            let count = max(0, min(block, configuration.meters - first))
            let seed = configuration.seed &+ UInt64(t) &* 0xA076_1D64_78BD_642F
            var meters = [MeterState](repeating: initial, count: count)
            if drift > 0 {
                for local in 0..<count {
                    meters[local].clockOffset = MeterClock.driftOffset(meter: first + local, drift: drift, seed: configuration.seed)
                }
            }
            return SimTerminal(index: t, firstMeter: first, meters: meters,
                               faults: FaultInjector(configuration: configuration.faults, seed: seed))
        }
    }

    /// The address of meter `index` (0-based over the whole simulator).
    public func address(ofMeter index: Int) -> MeterAddress {
        // In range by validation: first + meters - 1 < 999999999999.
        (try? MeterAddress(number: configuration.firstAddress + UInt64(index))) ?? .broadcast
    }

    /// The terminal and local index serving `address`, or nil when no simulated meter has it.
    public func locate(_ address: MeterAddress) -> (terminal: SimTerminal, local: Int)? {
        guard let number = address.number, number >= configuration.firstAddress else { return nil }
        let global = number - configuration.firstAddress
        guard global < UInt64(configuration.meters) else { return nil }
        let terminal = terminals[Int(global) / configuration.blockSize]
        return (terminal, Int(global) - terminal.firstMeter)
    }

    /// The environment a meter of `terminal` sees now.
    func environment(meter global: Int, now: Int64, civilNow: Int64) -> MeterEnvironment {
        MeterEnvironment(now: now, civilNow: civilNow, utcOffsetSeconds: utcOffset(at: civilNow),
                         watts: load.watts(meter: global), consumption: consumption,
                         password: configuration.password, autoClose: configuration.autoClose,
                         defaults: parameterDefaults)
    }

    /// The simulator time zone's UTC offset at a simulated instant.
    func utcOffset(at unixSecond: Int64) -> Int64 {
        if let fixedUTCOffset { return fixedUTCOffset }
        return Int64(configuration.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(unixSecond))))
    }

    /// Brings a meter's registers up to now, then runs `body` on its state, under its terminal's lock.
    public func withMeter<T>(_ address: MeterAddress, _ body: (inout MeterState) throws -> T) rethrows -> T? {
        try withMeterRecord(address) { meter, _ in try body(&meter) }
    }

    /// `withMeter`, with the meter's 14H writes too (an empty record when it has none).
    func withMeterRecord<T>(_ address: MeterAddress,
                            _ body: (inout MeterState, WrittenParameters) throws -> T) rethrows -> T? {
        guard let found = locate(address) else { return nil }
        let (terminal, local) = (found.terminal, found.local)
        let now = clock.nowSeconds()
        return try terminal.bank.withLock { bank in
            let watts = load.watts(meter: terminal.firstMeter + local)
            consumption.advance(&bank.meters[local], to: now, watts: watts)
            return try body(&bank.meters[local], bank.parameters[local] ?? WrittenParameters())
        }
    }

    /// Snapshots of every meter that passes `filter`, in address order, registers brought up to now.
    public func snapshots(where filter: (MeterState) -> Bool = { _ in true }) -> [MeterSnapshot] {
        let now = clock.nowSeconds()
        var out: [MeterSnapshot] = []
        for terminal in terminals {
            terminal.bank.withLock { bank in
                for local in 0..<terminal.meterCount {
                    let global = terminal.firstMeter + local
                    consumption.advance(&bank.meters[local], to: now, watts: load.watts(meter: global))
                    if filter(bank.meters[local]) {
                        out.append(snapshot(of: bank.meters[local], parameters: bank.parameters[local],
                                            address: address(ofMeter: global), terminal: terminal.index))
                    }
                }
            }
        }
        return out
    }

    /// A snapshot of one meter, or nil when it is not simulated here.
    public func snapshot(_ address: MeterAddress) -> MeterSnapshot? {
        guard let terminal = locate(address)?.terminal else { return nil }
        return withMeterRecord(address) { meter, parameters in
            snapshot(of: meter, parameters: parameters, address: address, terminal: terminal.index)
        }
    }

    /// What the admin API shows of a meter: its state, clock offset, parameters as the meter
    /// shows them (the clock included) and its count of accepted writes.
    func snapshot(of meter: MeterState, parameters: WrittenParameters?, address: MeterAddress, terminal: Int) -> MeterSnapshot {
        let written = parameters ?? WrittenParameters()
        var shown = written.shown(defaults: parameterDefaults)
        let civilNow = clock.civilSeconds()
        if let clock = CivilTime.meterDateTime(unixSecond: civilNow + Int64(meter.clockOffset),
                                               utcOffsetSeconds: utcOffset(at: civilNow)) {
            shown[DataIdentifier.date.description] = MeterMinute.digits(of: clock.dateWireBytes)
            shown[DataIdentifier.time.description] = MeterMinute.digits(of: clock.timeWireBytes)
        }
        return MeterSnapshot(address: address, terminal: terminal, state: meter, parameters: shown, writes: written.writes)
    }
}
