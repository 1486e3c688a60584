import Foundation

/// How one station's simulator and daemon are set up. The defaults are the process tests':
/// meters consume fast (20 kW at 3600×: 20 kWh, about 11 yuan, per real second) so credit runs
/// out within seconds.
public struct StationOptions: Sendable {
    /// Where the executables are (debug next to the tests, release next to the bench).
    public var binaries: StationBinaries?
    /// The tariff folder copied into the station's folder.
    public var tariffs: URL = StationBinaries.tariffsFolder
    /// Names the temporary folder: `<prefix>-<name>-<random>`.
    public var folderPrefix = "chargecontrol-e2e"

    // MARK: meter-sim
    public var terminals = 2
    public var meters = 10
    public var loadKW = "20"
    public var timeScale = "3600"
    public var initialKWh = "0"
    public var simSeed: UInt64 = 7
    /// The simulated meters' control password; nil: the same as the daemon's.
    public var simPassword: String?
    /// Log every remote-control request the meters receive (admin `GET /controls`).
    public var recordControls = false
    /// More `meter-sim` flags (`--drop 0.2`, `--delay-ms 20-60`, `--auto-close`, …).
    public var simExtra: [String] = []
    /// How long to wait for the simulator's ready line (a million meters take a while).
    public var simReadySeconds: Double = 30

    // MARK: chargecontrold
    /// `[station] database`: nil, `station.sqlite` in the station's folder; or a `postgresql://`
    /// URL of an empty database (the bench on PostgreSQL).
    public var database: String?
    public var collectionInterval = "2s"
    /// At least `collectionInterval` (the configuration refuses less).
    public var staleness = "60s"
    public var requestTimeout = "2s"
    public var maxAttempts = 6
    public var backoffInitial = "200ms"
    public var backoffMax = "1s"
    public var deadline = "1h"
    public var registerSumTolerance = "0.02"
    /// `[collection] clock_check`: how often each meter's clock is read (the daemon's default: a day).
    public var clockCheck = "24h"
    public var logLevel = "info"
    /// More configuration appended to the daemon's file (whole sections, e.g. `[retention]`).
    public var extraConfig = ""
    /// How long to wait for the daemon's API after a start.
    public var daemonReadySeconds: Double = 60

    // MARK: the daemon's API limits (issue 17); nil: the daemon's defaults
    /// `[api] max_connections`.
    public var apiMaxConnections: Int?
    /// `[api] idle_timeout`, e.g. `"5s"`.
    public var apiIdleTimeout: String?
    /// `[api] body_timeout`, e.g. `"3s"`.
    public var apiBodyTimeout: String?
    /// Start the daemon with this soft and hard descriptor limit (`prlimit --nofile=N:N`).
    public var descriptorLimit: Int?

    public static let daemonPassword = "02000000"

    public init(binaries: StationBinaries? = StationBinaries.nextToTests) {
        self.binaries = binaries
    }
}
