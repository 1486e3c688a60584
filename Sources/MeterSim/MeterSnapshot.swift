import DLT645

/// One meter as the admin API shows it (INTERFACES.md): energy as decimal kWh strings.
public struct MeterSnapshot: Sendable, Hashable, Codable {
    /// The four tariff registers as kWh strings.
    public struct Registers: Sendable, Hashable, Codable {
        public var sharp: String, peak: String, flat: String, valley: String
    }

    public var address: String
    public var terminal: Int
    /// `closed`, `open` or `armed`.
    public var relay: String
    public var alarm: Bool
    public var keepPower: Bool
    public var offline: Bool
    public var blockReads: Bool
    public var totalKWh: String
    public var registers: Registers
    /// How far the meter's clock runs ahead of civil time, seconds.
    public var clockOffsetSeconds: Int
    /// Every writable identifier (8 upper-case hex digits) → its value as the meter shows it.
    public var parameters: [String: String]
    /// 14H writes the meter accepted.
    public var writes: Int
    /// Whether status word 3 reports the relay state before the last relay command.
    public var readBackLies: Bool

    enum CodingKeys: String, CodingKey {
        case address, terminal, relay, alarm, offline, registers, parameters, writes
        case keepPower = "keep_power"
        case blockReads = "block_reads"
        case totalKWh = "total_kwh"
        case clockOffsetSeconds = "clock_offset_s"
        case readBackLies = "read_back_lies"
    }

    /// The snapshot of `state` for the meter at `address` on `terminal`, with its parameters as
    /// shown and its count of accepted writes.
    public init(address: MeterAddress, terminal: Int, state: MeterState, parameters: [String: String] = [:], writes: Int = 0) {
        self.address = address.description
        self.terminal = terminal
        relay = state.relay.description
        alarm = state.alarm
        keepPower = state.keepPower
        offline = state.offline
        blockReads = state.blockReads
        totalKWh = KWh.format(state.total)
        clockOffsetSeconds = Int(state.clockOffset)
        self.parameters = parameters
        self.writes = writes
        readBackLies = state.readBackLies
        registers = Registers(sharp: KWh.format(state[register: 1]), peak: KWh.format(state[register: 2]),
                              flat: KWh.format(state[register: 3]), valley: KWh.format(state[register: 4]))
    }
}

/// kWh as decimal strings with up to two decimals, to and from hundredths, by hand (no floating point).
public enum KWh {
    /// `123456` → `"1234.56"`.
    public static func format(_ hundredths: Int64) -> String {
        let sign = hundredths < 0 ? "-" : ""
        let m = hundredths.magnitude
        let cents = m % 100
        return "\(sign)\(m / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// `"1234.5"` → 123450. Digits, an optional point and at most two decimals; no sign.
    /// Returns nil for anything else or values above `limit`.
    public static func parse(_ text: String, limit: Int64 = MeterState.registerModulus - 1) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 12,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }), let w = Int64(whole) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let f = parts[1]
            guard (1...2).contains(f.count), f.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int64(f) else { return nil }
            fraction = f.count == 1 ? v * 10 : v
        }
        let value = w * 100 + fraction
        return value <= limit ? value : nil
    }
}
