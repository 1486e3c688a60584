import ArgumentParser
import Foundation

/// `chargectl audit verify`: the audit chain and every balance against its ledger; `audit list`
/// (ListCommands.swift): the rows.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "List and check the audit trail and the balances.",
        subcommands: [AuditList.self, AuditVerify.self])
}

struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the audit hash chain and replay every ledger (GET /v1/audit/verify); exit 1 when anything is off.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        var intact = true
        try await connection.run({ client throws(StationCallError) in
            let answer = try await client.call("GET", "v1/audit/verify")
            // Decided here, not in the table renderer, so --json gets the same exit status.
            intact = (answer.object["intact"] as? NSNumber)?.boolValue ?? false
            return answer
        }) { answer in
            let o = answer.object
            var lines = ["audit rows:         \(TextTable.cell(o["audit_rows"]))",
                         "chain:              " + (o["first_broken_id"] is NSNull || o["first_broken_id"] == nil
                             ? "intact" : "BROKEN at row \(TextTable.cell(o["first_broken_id"]))")]
            let mismatches = o["balance_mismatches"] as? [[String: Any]] ?? []
            lines.append("balance mismatches: \(mismatches.count)")
            for m in mismatches {
                lines.append("  \(TextTable.cell(m["account_id"])): stored \(TextTable.cell(m["stored_yuan"])), ledger replay \(TextTable.cell(m["replayed_yuan"]))")
            }
            return lines.joined(separator: "\n")
        }
        if !intact { throw ExitCode(1) }
    }
}
