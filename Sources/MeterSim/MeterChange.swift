import DLT645
import Foundation

/// A change to one meter through the admin API (`POST /meters/ADDR`).
public struct MeterChange: Sendable, Hashable {
    /// Take the meter off the bus (it keeps consuming) or back.
    public var offline: Bool?
    /// Force the relay, as a local action would.
    public var relay: RelayState?
    /// New total, hundredths of a kWh (the flat register absorbs the difference).
    public var totalHundredths: Int64?
    /// The customer presses the button: an armed relay closes.
    public var pressButton: Bool
    /// Whether the meter answers block reads (0001FF00).
    public var blockReads: Bool?
    /// Set or clear the alarm flag.
    public var alarm: Bool?
    /// Set or clear keep-power.
    public var keepPower: Bool?
    /// New clock offset, seconds (within ±``MeterClock/maximumOffset``).
    public var clockOffsetSeconds: Int32?
    /// Make status word 3 report the relay state before the last relay command (or stop).
    public var readBackLies: Bool?

    /// A change of nothing, to be filled in.
    public init(offline: Bool? = nil, relay: RelayState? = nil, totalHundredths: Int64? = nil, pressButton: Bool = false,
                blockReads: Bool? = nil, alarm: Bool? = nil, keepPower: Bool? = nil, clockOffsetSeconds: Int32? = nil,
                readBackLies: Bool? = nil) {
        self.offline = offline
        self.relay = relay
        self.totalHundredths = totalHundredths
        self.pressButton = pressButton
        self.blockReads = blockReads
        self.alarm = alarm
        self.keepPower = keepPower
        self.clockOffsetSeconds = clockOffsetSeconds
        self.readBackLies = readBackLies
    }

    /// Malformed input, described for the `{"error": …}` body.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Parses a JSON object body; unknown keys and values of the wrong kind are refused by name.
    public init(json: Data) throws(Problem) {
        let object: [String: JSONScalar]
        do {
            object = try JSONDecoder().decode([String: JSONScalar].self, from: json)
        } catch {
            throw Problem(description: "body must be a JSON object of simple values")
        }
        self.init()
        for (key, value) in object {
            func bool() throws(Problem) -> Bool {
                guard case .bool(let b) = value else { throw Problem(description: "\(key): want true or false") }
                return b
            }
            switch key {
            case "offline": offline = try bool()
            case "alarm": alarm = try bool()
            case "keep_power": keepPower = try bool()
            case "block_reads": blockReads = try bool()
            case "press_button": pressButton = try bool()
            case "read_back_lies": readBackLies = try bool()
            case "clock_offset_s":
                guard case .integer(let seconds) = value, let offset = MeterClock.checked(seconds) else {
                    throw Problem(description: "clock_offset_s: want whole seconds within ±\(MeterClock.maximumOffset)")
                }
                clockOffsetSeconds = offset
            case "relay":
                guard case .string(let name) = value, let state = RelayState(name: name) else {
                    throw Problem(description: "relay: want \"open\", \"closed\" or \"armed\"")
                }
                relay = state
            case "total_kwh":
                guard case .string(let text) = value, let hundredths = KWh.parse(text) else {
                    throw Problem(description: "total_kwh: want a decimal string with at most 2 decimals, 0 to 999999.99 (\"1234.56\")")
                }
                totalHundredths = hundredths
            default:
                throw Problem(description: "\(key): unknown key; want offline, relay, total_kwh, press_button, block_reads, alarm, keep_power, clock_offset_s, read_back_lies")
            }
        }
    }
}

/// A JSON value as far as the admin API cares.
enum JSONScalar: Decodable, Hashable {
    case bool(Bool), string(String), integer(Int64), number, null, other

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if (try? c.decode(Double.self)) != nil { self = .number }
        else { self = .other }
    }
}

extension MeterFleet {
    /// Applies an admin change (registers brought up to now first) and returns the meter's new
    /// snapshot, or nil when no simulated meter has `address`.
    public func apply(_ change: MeterChange, to address: MeterAddress) -> MeterSnapshot? {
        guard let terminal = locate(address)?.terminal else { return nil }
        return withMeterRecord(address) { meter, parameters in
            if let offline = change.offline { meter.offline = offline }
            if let relay = change.relay { meter.relay = relay }
            if let total = change.totalHundredths { meter.setTotal(total) }
            if let blockReads = change.blockReads { meter.blockReads = blockReads }
            if let alarm = change.alarm { meter.alarm = alarm }
            if let keepPower = change.keepPower { meter.keepPower = keepPower }
            if let offset = change.clockOffsetSeconds { meter.clockOffset = offset }
            if let lies = change.readBackLies { meter.readBackLies = lies }
            if change.pressButton { RelayLogic.pressButton(&meter) }
            return snapshot(of: meter, parameters: parameters, address: address, terminal: terminal.index)
        }
    }
}
