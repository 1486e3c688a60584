import ArgumentParser
import BuildVersion

/// `chargectl`: the operator's command line. Each area of the station is a subcommand group;
/// the tariff tools work offline on files, the rest talk to the daemon's HTTP API.
@main
struct ChargeCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chargectl",
        abstract: "Operate a ChargeControl prepaid charge-control station.",
        discussion: ExitStatus.help,
        version: BuildVersion.version,
        subcommands: [
            TariffCommand.self, StatusCommand.self, TerminalCommand.self, AccountCommand.self, PayCommand.self,
            CommandsCommand.self, ReviewCommand.self, StatsCommand.self, ImportCommand.self, AuditCommand.self, MeterCommand.self,
            BackupCommand.self, ClusterCommand.self,
        ]
    )
}
