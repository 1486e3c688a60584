import ArgumentParser
import Foundation
import Store
import StorePostgres

/// `chargecontrold --copy-database FROM TO`: moves a station between engines (a SQLite file, a
/// `postgresql://` URL), verifies the copy, and says what it copied or why it stopped.
enum CopyDatabaseCommand {
    static func run(_ locations: [String]) async throws {
        guard locations.count == 2 else {
            FileHandle.standardError.write(Data("chargecontrold: --copy-database takes two locations, FROM and TO (a SQLite path or a postgresql:// URL)\n".utf8))
            throw ExitCode(64)
        }
        let started = ContinuousClock.now
        do {
            let report = try await StationCopy.copy(from: locations[0], to: locations[1])
            let total = report.rows.reduce(0) { $0 + $1.rows }
            print("chargecontrold: copied \(total) rows: " + report.rows.map { "\($0.table) \($0.rows)" }.joined(separator: ", "))
            if let checked = report.verification {
                print("chargecontrold: the copy checked: audit chain intact (\(checked.audit.rows) rows), "
                    + "ledger replay equals the balance of all \(checked.accounts) accounts "
                    + "(\(String(format: "%.1f", Double((ContinuousClock.now - started) / .milliseconds(100)) / 10)) s)")
            }
        } catch {
            FileHandle.standardError.write(Data("chargecontrold: copy refused: \(error)\n".utf8))
            throw ExitCode(65)
        }
    }
}
