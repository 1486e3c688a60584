import DLT645
import Foundation

/// Everything a simulator run is configured with (the `meter-sim` flags, INTERFACES.md).
public struct SimConfiguration: Sendable {
    /// Host the terminals listen on.
    public var host: String
    /// Port of terminal 0; terminal i listens on `basePort + i`. 0 picks a free block of ports.
    public var basePort: Int
    /// Number of terminals.
    public var terminals: Int
    /// Number of meters, split into contiguous blocks of ceil(meters / terminals).
    public var meters: Int
    /// Address (as a number) of meter 0; the others count up in decimal.
    public var firstAddress: UInt64
    /// Where the admin HTTP API listens (port 0: any free port), or nil for none.
    public var admin: HostAndPort?
    /// Seed of the per-meter load variation and of fault injection.
    public var seed: UInt64
    /// Average load per meter in watts (`--load-kw` × 1000); 0 freezes the registers.
    public var loadWatts: Int64
    /// Starting total of every meter, hundredths of a kWh, held in the flat register.
    public var initialHundredths: Int64
    /// Simulated seconds per real second.
    public var timeScale: Double
    /// Which register consumption runs into.
    public var schedule: any RegisterSchedule
    /// The meters' control and write password.
    public var password: Password
    /// Fault injection per request.
    public var faults: FaultConfiguration
    /// Allow-close (1BH) closes at once instead of arming.
    public var autoClose: Bool
    /// The meters' civil clock time zone.
    public var timeZone: TimeZone
    /// FEH wake-up bytes ahead of each reply (0…4).
    public var replyPreamble: Int
    /// Keep a log of every remote-control request received (`--record-controls`, admin `GET /controls`).
    public var recordControls: Bool
    /// Each meter's clock starts off by a fixed offset drawn from −N…N seconds (`--clock-drift-s`).
    public var clockDriftSeconds: Int64

    /// A configuration with the CLI's defaults for everything optional.
    public init(host: String = "127.0.0.1", basePort: Int = 0, terminals: Int = 1, meters: Int = 1,
                firstAddress: UInt64 = 1, admin: HostAndPort? = nil, seed: UInt64 = 0, loadWatts: Int64 = 1000,
                initialHundredths: Int64 = 0, timeScale: Double = 1, schedule: any RegisterSchedule = FlatSchedule(),
                password: Password = SimConfiguration.defaultPassword, faults: FaultConfiguration = FaultConfiguration(),
                autoClose: Bool = false, timeZone: TimeZone = SimConfiguration.defaultTimeZone, replyPreamble: Int = 0,
                recordControls: Bool = false, clockDriftSeconds: Int64 = 0) {
        self.host = host
        self.basePort = basePort
        self.terminals = terminals
        self.meters = meters
        self.firstAddress = firstAddress
        self.admin = admin
        self.seed = seed
        self.loadWatts = loadWatts
        self.initialHundredths = initialHundredths
        self.timeScale = timeScale
        self.schedule = schedule
        self.password = password
        self.faults = faults
        self.autoClose = autoClose
        self.timeZone = timeZone
        self.replyPreamble = replyPreamble
        self.recordControls = recordControls
        self.clockDriftSeconds = clockDriftSeconds
    }

    /// `02000000`: level 02, password 000000.
    public static let defaultPassword: Password = {
        do { return try Password("02000000") } catch { preconditionFailure("the default password literal is valid") }
    }()
    /// Asia/Shanghai, or UTC+8 if the zone database lacks it.
    public static var defaultTimeZone: TimeZone {
        TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .gmt
    }

    /// Meters per terminal: ceil(meters / terminals).
    public var blockSize: Int { (meters + terminals - 1) / max(terminals, 1) }

    /// A configuration that cannot run, naming the flag and the problem.
    public struct Problem: Error, CustomStringConvertible, Sendable, Hashable {
        /// The flag, as the CLI spells it (`--meters`).
        public let flag: String
        public let problem: String
        public var description: String { "\(flag): \(problem)" }
    }

    /// Checks the values against each other and their ranges.
    public func validate() throws(Problem) {
        guard terminals >= 1 else { throw Problem(flag: "--terminals", problem: "must be at least 1") }
        guard meters >= 1 else { throw Problem(flag: "--meters", problem: "must be at least 1") }
        guard terminals <= meters else {
            throw Problem(flag: "--terminals", problem: "\(terminals) terminals for \(meters) meters: some would serve none")
        }
        guard meters <= 10_000_000 else { throw Problem(flag: "--meters", problem: "at most 10,000,000") }
        guard firstAddress + UInt64(meters) - 1 < 999_999_999_999 else {
            throw Problem(flag: "--first-address", problem: "the last meter's address would reach 999999999999 (broadcast)")
        }
        guard (0...65535).contains(basePort), basePort == 0 || basePort + terminals - 1 <= 65535 else {
            throw Problem(flag: "--listen", problem: "ports \(basePort)…\(basePort + terminals - 1) are not all within 1…65535")
        }
        if let admin, !(0...65535).contains(admin.port) {
            throw Problem(flag: "--admin", problem: "port \(admin.port) is not within 0…65535")
        }
        guard loadWatts >= 0 else { throw Problem(flag: "--load-kw", problem: "must not be negative") }
        guard (0..<MeterState.registerModulus).contains(initialHundredths) else {
            throw Problem(flag: "--initial-kwh", problem: "must be within 0…999999.99")
        }
        guard timeScale > 0, timeScale.isFinite else { throw Problem(flag: "--time-scale", problem: "must be a positive number") }
        try faults.validate()
        guard (0...4).contains(replyPreamble) else { throw Problem(flag: "--preamble", problem: "must be within 0…4") }
        guard (0...MeterClock.maximumOffset).contains(clockDriftSeconds) else {
            throw Problem(flag: "--clock-drift-s", problem: "must be within 0…\(MeterClock.maximumOffset) seconds (10 years)")
        }
    }
}

/// A `HOST:PORT` pair.
public struct HostAndPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` (the last colon splits; IPv6 may be bracketed).
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
