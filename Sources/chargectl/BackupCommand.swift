import ArgumentParser
import Foundation

/// `chargectl backup`: asks the daemon for an online copy of its database (`POST /v1/backup`)
/// and prints where it is; for the nightly timer (deploy/chargecontrol-backup.timer).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write an online copy of the station's database into [station] backups (POST /v1/backup); print its path.",
        discussion: "Needs an operator token. Exit 1 when the daemon refuses (409: a backup is being written already).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await connection.run({ client throws(StationCallError) in
            // A large database takes a while to copy; the daemon answers when the copy is whole.
            try await client.call("POST", "v1/backup", body: [:], timeout: 3600)
        }) { answer in
            let o = answer.object
            return "\(TextTable.cell(o["path"]))\n(\(TextTable.cell(o["bytes"])) bytes, \(TextTable.cell(o["audit_rows"])) audit rows)"
        }
    }
}
