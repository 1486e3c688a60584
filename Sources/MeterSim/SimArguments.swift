import DLT645
import Foundation

/// Parsing of `meter-sim`'s flag values into a `SimConfiguration`; every problem names its flag.
public enum SimArguments {
    /// The raw flag values as given on the command line.
    public struct Raw: Sendable {
        public var listen: String
        public var terminals: Int
        public var meters: Int
        public var firstAddress: String
        public var admin: String?
        public var seed: UInt64
        public var loadKW: String
        public var initialKWh: String
        public var timeScale: Double
        public var tariff: String?
        public var password: String
        public var drop: Double
        public var garble: Double
        public var nak: Double
        public var delayMs: String?
        public var autoClose: Bool
        public var timezone: String
        public var recordControls: Bool
        public var clockDriftS: Int64

        /// Raw values with the CLI's defaults.
        public init(listen: String, terminals: Int = 1, meters: Int, firstAddress: String = "000000000001",
                    admin: String? = nil, seed: UInt64 = 0, loadKW: String = "1", initialKWh: String = "0",
                    timeScale: Double = 1, tariff: String? = nil, password: String = "02000000",
                    drop: Double = 0, garble: Double = 0, nak: Double = 0, delayMs: String? = nil,
                    autoClose: Bool = false, timezone: String = "Asia/Shanghai", recordControls: Bool = false,
                    clockDriftS: Int64 = 0) {
            self.listen = listen
            self.terminals = terminals
            self.meters = meters
            self.firstAddress = firstAddress
            self.admin = admin
            self.seed = seed
            self.loadKW = loadKW
            self.initialKWh = initialKWh
            self.timeScale = timeScale
            self.tariff = tariff
            self.password = password
            self.drop = drop
            self.garble = garble
            self.nak = nak
            self.delayMs = delayMs
            self.autoClose = autoClose
            self.timezone = timezone
            self.recordControls = recordControls
            self.clockDriftS = clockDriftS
        }
    }

    typealias Problem = SimConfiguration.Problem

    /// Checks every value and builds the configuration (reading the tariff file, if any).
    public static func configuration(from raw: Raw) throws(SimConfiguration.Problem) -> SimConfiguration {
        guard let listen = HostAndPort(raw.listen) else {
            throw Problem(flag: "--listen \(raw.listen)", problem: "want HOST:PORT")
        }
        guard let first = try? MeterAddress(raw.firstAddress), let firstNumber = first.number,
              raw.firstAddress.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw Problem(flag: "--first-address \(raw.firstAddress)", problem: "want up to 12 decimal digits")
        }
        var admin: HostAndPort?
        if let text = raw.admin {
            guard let parsed = HostAndPort(text) else { throw Problem(flag: "--admin \(text)", problem: "want HOST:PORT") }
            admin = parsed
        }
        guard let loadWatts = parseDecimal(raw.loadKW, decimals: 3) else {
            throw Problem(flag: "--load-kw \(raw.loadKW)", problem: "want a decimal number of kW with at most 3 decimals")
        }
        guard let initial = KWh.parse(raw.initialKWh) else {
            throw Problem(flag: "--initial-kwh \(raw.initialKWh)", problem: "want kWh with at most 2 decimals, 0 to 999999.99")
        }
        guard let password = try? Password(raw.password) else {
            throw Problem(flag: "--password", problem: "want 8 hex digits, level byte first (e.g. 02000000)")
        }
        guard let zone = TimeZone(identifier: raw.timezone) else {
            throw Problem(flag: "--timezone \(raw.timezone)", problem: "unknown time zone")
        }
        var delay = 0...0
        if let text = raw.delayMs {
            guard let range = parseRange(text) else {
                throw Problem(flag: "--delay-ms \(text)", problem: "want MIN or MIN-MAX milliseconds, MIN ≤ MAX")
            }
            delay = range
        }
        var schedule: any RegisterSchedule = FlatSchedule()
        if let path = raw.tariff {
            do {
                schedule = try TariffScheduleFile.load(path: path)
            } catch {
                throw Problem(flag: "--tariff", problem: error.description)
            }
        }
        for (flag, value) in [("--terminals", raw.terminals), ("--meters", raw.meters)] where value < 1 {
            throw Problem(flag: "\(flag) \(value)", problem: "must be at least 1")
        }
        guard raw.timeScale > 0, raw.timeScale.isFinite else {
            throw Problem(flag: "--time-scale \(raw.timeScale)", problem: "must be a positive number")
        }
        let configuration = SimConfiguration(
            host: listen.host, basePort: listen.port, terminals: raw.terminals, meters: raw.meters,
            firstAddress: firstNumber, admin: admin, seed: raw.seed, loadWatts: loadWatts,
            initialHundredths: initial, timeScale: raw.timeScale, schedule: schedule, password: password,
            faults: FaultConfiguration(drop: raw.drop, garble: raw.garble, nak: raw.nak, delayMilliseconds: delay),
            autoClose: raw.autoClose, timeZone: zone, recordControls: raw.recordControls,
            clockDriftSeconds: raw.clockDriftS)
        try configuration.validate()
        return configuration
    }

    /// `"1.5"` with `decimals` 3 → 1500. Digits and at most `decimals` decimals; no sign.
    static func parseDecimal(_ text: String, decimals: Int) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 9,
              whole.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), var value = Int64(whole) else { return nil }
        var fraction = parts.count == 2 ? Array(parts[1].utf8) : []
        guard fraction.count <= decimals, parts.count == 1 || !fraction.isEmpty,
              fraction.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        fraction += [UInt8](repeating: 48, count: decimals - fraction.count)
        for digit in fraction { value = value * 10 + Int64(digit - 48) }
        return value
    }

    /// `"20"` → 20...20, `"20-80"` → 20...80.
    static func parseRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let low = Int(parts[0]), let high = Int(parts[parts.count - 1]),
              low >= 0, low <= high else { return nil }
        return low...high
    }
}
