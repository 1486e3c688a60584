import ArgumentParser
import BuildVersion
import Foundation
import Logging
import Station
import StationConfig
import Systemd
import Tariffs

/// `chargecontrold`: the master station daemon (INTERFACES.md "chargecontrold").
@main
struct ChargeControlDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chargecontrold",
        abstract: "The ChargeControl prepaid charge-control master station daemon.",
        discussion: """
            Exit status: 0 after a clean stop, a passing --check-config or a restore; 1 when the configuration, tariffs \
            or tokens are refused; 2 for a usage error. --restore: 65 the copy failed a check, 66 no such copy, \
            74 a file step failed, 75 the database is in use (stop the daemon first). --copy-database: 65 the copy \
            was refused or failed its checks, 64 a usage error.
            """,
        version: BuildVersion.version
    )

    @Option(help: "The configuration file (TOML).")
    var config = "/etc/chargecontrol/chargecontrold.toml"

    @Flag(help: "Validate the configuration, tariffs and tokens file, print a summary and exit.")
    var checkConfig = false

    @Option(help: "Use this tokens file instead of [api] tokens_file (systemd passes the LoadCredential copy).")
    var tokensFile: String?

    @Option(help: ArgumentHelp("Check a database copy (chargectl backup) and put it in place of [station] database, then exit; the daemon must be stopped.",
                               valueName: "file"))
    var restore: String?

    @Option(name: .customLong("copy-database"), parsing: .upToNextOption,
            help: ArgumentHelp("Copy the station at FROM into the empty TO (each a SQLite path or a postgresql:// URL), verify the copy, then exit; stop the daemons first.",
                               valueName: "from> <to"))
    var copyDatabase: [String] = []

    func run() async throws {
        // Needs no configuration: both locations are given.
        if !copyDatabase.isEmpty {
            try await CopyDatabaseCommand.run(copyDatabase)
            return
        }
        let loaded: LoadedConfiguration
        do {
            loaded = try LoadedConfiguration.load(path: config, tokensFile: tokensFile)
        } catch {
            FileHandle.standardError.write(Data("chargecontrold: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if checkConfig {
            print(loaded.summary)
            return
        }
        if let restore {
            try await RestoreCommand.run(copy: restore, database: loaded.configuration.station.database)
            return
        }
        MemoryArenas.limit()
        // A write past a file-size limit (LimitFSIZE=, ulimit -f) fails like a full disk: the store
        // reports it (/healthz: store_unwritable) and recovers when writes succeed again, instead
        // of SIGXFSZ killing the daemon mid-commit.
        signal(SIGXFSZ, SIG_IGN)
        let settings = loaded.configuration.log
        let destination: LogDestination? = switch settings.target {
        case .auto: nil
        case .journald: .journald
        case .stderr: .stderr
        }
        let level = LogLevelControl(settings.level)
        LoggingSystem.bootstrap(LoggingSetup.factory(identifier: "chargecontrold", destination: destination, level: level,
                                                     journalStream: ProcessInfo.processInfo.environment["JOURNAL_STREAM"]))
        let logger = Logger(label: "chargecontrold")
        do {
            try await StationServices(loaded: loaded, logger: logger, logLevel: level, tokensFile: tokensFile).run()
        } catch {
            logger.critical("stopped: \(error)")
            throw ExitCode(1)
        }
    }
}
