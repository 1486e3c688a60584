import Tariffs

/// A relay as a cost-control meter reports it.
public enum RelayState: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Closed: the customer has power.
    case closed = 0
    /// Opened by a trip (1AH) and not yet allowed to close.
    case open = 1
    /// Allowed to close (1BH) but still open until the customer presses the button.
    case armed = 2

    /// `closed`, `open` or `armed`, as the admin API writes it.
    public var description: String {
        switch self {
        case .closed: "closed"
        case .open: "open"
        case .armed: "armed"
        }
    }

    /// Parses the admin API's name.
    public init?(name: String) {
        guard let state = RelayState.allCases.first(where: { $0.description == name }) else { return nil }
        self = state
    }
}

/// One simulated meter's whole mutable state, kept compact (32 bytes) so a process can hold a
/// million of them. The meter's address is not stored: it follows from its index; parameters
/// written with 14H live in the terminal's sparse table, not here.
///
/// Registers are hundredths of a kWh (the meter's XXXXXX.XX), each rolling over at 999999.99;
/// the total is derived from them, so the tariff registers always sum to the total (modulo the
/// rollover).
public struct MeterState: Sendable, Hashable {
    /// Tariff registers 1…4 (sharp, peak, flat, valley), hundredths of a kWh.
    public var sharp: Int32, peak: Int32, flat: Int32, valley: Int32
    /// The simulated unix second up to which the registers have been advanced.
    public var lastUpdate: Int64
    /// How far this meter's clock runs ahead of civil time, in seconds. An Int32 (±68 years)
    /// fills what was alignment padding, so per-meter clocks cost no memory; offsets are kept
    /// within ``MeterClock/maximumOffset``.
    public var clockOffset: Int32
    /// Consumption below one hundredth of a kWh not yet counted, in watt-seconds (< 36,000).
    public var carryWattSeconds: UInt16
    /// Relay state (bits 0–1) and the flags below.
    public var flags: UInt8
    /// The relay state before the last relay command (bits 0–1) and read-back lies (bit 2): a
    /// second flag byte, also in former padding.
    public var controlFlags: UInt8

    static let relayMask: UInt8 = 0b11
    static let alarmBit: UInt8 = 1 << 2
    static let keepPowerBit: UInt8 = 1 << 3
    static let offlineBit: UInt8 = 1 << 4
    static let blockReadsDisabledBit: UInt8 = 1 << 5
    static let readBackLiesBit: UInt8 = 1 << 2

    /// Registers at 999999.99 + 0.01 roll over to 0.
    public static let registerModulus: Int64 = 100_000_000

    /// A closed, online meter whose flat register holds `initialHundredths` (mod 999999.99 + 0.01).
    public init(initialHundredths: Int64 = 0, at unixSecond: Int64) {
        sharp = 0
        peak = 0
        flat = Int32(floorMod(initialHundredths, MeterState.registerModulus))
        valley = 0
        lastUpdate = unixSecond
        clockOffset = 0
        carryWattSeconds = 0
        flags = 0
        controlFlags = 0
    }

    /// Register `n` (1…4), hundredths of a kWh.
    public subscript(register n: Int) -> Int64 {
        get {
            switch n {
            case 1: Int64(sharp)
            case 2: Int64(peak)
            case 3: Int64(flat)
            default: Int64(valley)
            }
        }
        set {
            let v = Int32(floorMod(newValue, MeterState.registerModulus))
            switch n {
            case 1: sharp = v
            case 2: peak = v
            case 3: flat = v
            default: valley = v
            }
        }
    }

    /// Total forward active energy, hundredths of a kWh: the sum of the tariff registers,
    /// rolled over like the registers themselves.
    public var total: Int64 {
        (Int64(sharp) + Int64(peak) + Int64(flat) + Int64(valley)) % MeterState.registerModulus
    }

    /// Sets the total to `hundredths` (0…99,999,999) by adjusting the flat register; when the other
    /// registers already hold more, they are cleared and everything goes to flat.
    public mutating func setTotal(_ hundredths: Int64) {
        let others = Int64(sharp) + Int64(peak) + Int64(valley)
        if others <= hundredths {
            self[register: TariffRegister.flat.rawValue] = hundredths - others
        } else {
            sharp = 0
            peak = 0
            valley = 0
            self[register: TariffRegister.flat.rawValue] = hundredths
        }
    }

    public var relay: RelayState {
        get { RelayState(rawValue: flags & MeterState.relayMask) ?? .closed }
        set { flags = (flags & ~MeterState.relayMask) | newValue.rawValue }
    }

    /// Pre-trip alarm (2AH on, 2BH off).
    public var alarm: Bool {
        get { flags & MeterState.alarmBit != 0 }
        set { setFlag(MeterState.alarmBit, newValue) }
    }

    /// Keep-power (3AH on, 3BH off): trips are refused while set.
    public var keepPower: Bool {
        get { flags & MeterState.keepPowerBit != 0 }
        set { setFlag(MeterState.keepPowerBit, newValue) }
    }

    /// An offline meter keeps consuming but answers nothing.
    public var offline: Bool {
        get { flags & MeterState.offlineBit != 0 }
        set { setFlag(MeterState.offlineBit, newValue) }
    }

    /// Whether the meter answers block reads (0001FF00); when not, it replies "no requested data".
    public var blockReads: Bool {
        get { flags & MeterState.blockReadsDisabledBit == 0 }
        set { setFlag(MeterState.blockReadsDisabledBit, !newValue) }
    }

    /// The relay state before the last relay command (1AH, 1BH, 1CH) the meter accepted.
    public var relayBeforeLastControl: RelayState {
        get { RelayState(rawValue: controlFlags & MeterState.relayMask) ?? .closed }
        set { controlFlags = (controlFlags & ~MeterState.relayMask) | newValue.rawValue }
    }

    /// A stuck relay for tests (admin `read_back_lies`): status word 3 reports
    /// `relayBeforeLastControl` instead of `relay`.
    public var readBackLies: Bool {
        get { controlFlags & MeterState.readBackLiesBit != 0 }
        set { controlFlags = newValue ? controlFlags | MeterState.readBackLiesBit : controlFlags & ~MeterState.readBackLiesBit }
    }

    private mutating func setFlag(_ bit: UInt8, _ on: Bool) {
        flags = on ? flags | bit : flags & ~bit
    }
}
