import DLT645
import Foundation
import Synchronization

/// The state of one terminal's meters, guarded by the terminal's mutex.
struct TerminalBank: Sendable {
    /// One compact record per meter, local index order.
    var meters: [MeterState]
    /// How far this terminal's meter clocks run ahead of simulated time (broadcast time, 08H).
    var clockOffset: Int64 = 0
    /// Values written with 14H, by local meter index; most meters have none.
    var parameters: [Int: [UInt32: [UInt8]]] = [:]
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

    init(index: Int, firstMeter: Int, meterCount: Int, initial: MeterState, faults: FaultInjector) {
        self.index = index
        self.firstMeter = firstMeter
        self.meterCount = meterCount
        bank = Mutex(TerminalBank(meters: [MeterState](repeating: initial, count: meterCount), faults: faults))
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

    /// Builds the fleet; every meter starts closed with `initialHundredths` in its flat register.
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
        let initial = MeterState(initialHundredths: configuration.initialHundredths, at: clock.nowSeconds())
        let block = configuration.blockSize
        terminals = (0..<configuration.terminals).map { t in
            let first = t * block
            let count = max(0, min(block, configuration.meters - first))
            let seed = configuration.seed &+ UInt64(t) &* 0xA076_1D64_78BD_642F
            return SimTerminal(index: t, firstMeter: first, meterCount: count, initial: initial,
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
    func environment(meter global: Int, clockOffset: Int64, now: Int64, civilNow: Int64) -> MeterEnvironment {
        MeterEnvironment(now: now, civilNow: civilNow, clockOffset: clockOffset, utcOffsetSeconds: utcOffset(at: civilNow),
                         watts: load.watts(meter: global), consumption: consumption,
                         password: configuration.password, autoClose: configuration.autoClose)
    }

    /// The simulator time zone's UTC offset at a simulated instant.
    func utcOffset(at unixSecond: Int64) -> Int64 {
        if let fixedUTCOffset { return fixedUTCOffset }
        return Int64(configuration.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(unixSecond))))
    }

    /// Brings a meter's registers up to now, then runs `body` on its state, under its terminal's lock.
    public func withMeter<T>(_ address: MeterAddress, _ body: (inout MeterState) throws -> T) rethrows -> T? {
        guard let found = locate(address) else { return nil }
        let (terminal, local) = (found.terminal, found.local)
        let now = clock.nowSeconds()
        return try terminal.bank.withLock { bank in
            let watts = load.watts(meter: terminal.firstMeter + local)
            consumption.advance(&bank.meters[local], to: now, watts: watts, clockOffset: bank.clockOffset)
            return try body(&bank.meters[local])
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
                    consumption.advance(&bank.meters[local], to: now, watts: load.watts(meter: global),
                                        clockOffset: bank.clockOffset)
                    if filter(bank.meters[local]) {
                        out.append(MeterSnapshot(address: address(ofMeter: global), terminal: terminal.index,
                                                 state: bank.meters[local]))
                    }
                }
            }
        }
        return out
    }

    /// A snapshot of one meter, or nil when it is not simulated here.
    public func snapshot(_ address: MeterAddress) -> MeterSnapshot? {
        guard let terminal = locate(address)?.terminal else { return nil }
        return withMeter(address) { MeterSnapshot(address: address, terminal: terminal.index, state: $0) }
    }
}
