import ArgumentParser
import Foundation
import StationConfig
import Store

/// `chargecontrold --restore FILE`: checks the copy and puts it in place of the database
/// (`StationRestore`), saying what it did or which check failed.
enum RestoreCommand {
    static func run(copy: String, database: String) async throws {
        guard !PostgresLocation.isURL(database) else {
            FileHandle.standardError.write(Data(("chargecontrold: restore refused: [station] database is a PostgreSQL station; restore it with "
                + "PostgreSQL's own tools (pg_restore), or copy a SQLite copy into it with --copy-database\n").utf8))
            throw ExitCode(64)
        }
        let copyPath = URL(fileURLWithPath: copy).standardizedFileURL.path
        do {
            let receipt = try await StationRestore.restore(copy: copyPath, over: database, at: Date())
            let checked = receipt.verification
            print("chargecontrold: \(copyPath) checked: integrity ok, audit chain intact (\(checked.audit.rows) rows), "
                + "ledger replay equals the balance of all \(checked.accounts) accounts")
            print("chargecontrold: restored \(copyPath) as \(database)"
                + (receipt.previous.map { "; the database it replaced is kept as \($0)" } ?? ""))
        } catch {
            // Typed: `StationRestore.restore` throws only `RestoreFailure`.
            FileHandle.standardError.write(Data("chargecontrold: restore refused: \(error)\n".utf8))
            throw ExitCode(error.exitStatus)
        }
    }
}
