import ArgumentParser
import Foundation
import Tariffs

/// `chargectl account statement ID`: the account's billing months (GET /v1/accounts/ID/statement)
/// as a table, or as CSV for the billing system.
struct AccountStatement: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statement", abstract: "An account's billing months, newest first (GET /v1/accounts/ID/statement).",
        discussion: """
            Money is the ledger's to the micro-yuan; the newest month is the one under way (complete: no). \
            --csv writes one row per month, the statement's keys as columns (registers_kwh.NAME per register).
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Account id.") var id: String
    @Option(help: "How many months (1-24, default 6).") var months: Int?
    @Option(help: "Write CSV to this file, or - for standard output, instead of the table.") var csv: String?

    /// The CSV columns: every key of a month, the registers one column each.
    static let csvColumns = ["account_id", "month", "from", "to", "complete", "start_reading_at", "start_kwh", "end_reading_at",
                             "end_kwh", "kwh"] + TariffRegister.allCases.map { "registers_kwh." + $0.name }
        + ["charge_yuan", "payments_yuan", "adjustments_yuan", "opening_balance_yuan", "closing_balance_yuan"]

    func run() async throws {
        let path = PagedList.path("v1/accounts/" + StationClient.escape(id) + "/statement", [("months", months.map(String.init))])
        guard let csv else {
            try await connection.run({ client throws(StationCallError) in try await client.call("GET", path) }) { answer in
                let columns = ["month", "start_kwh", "end_kwh", "kwh", "charge_yuan", "payments_yuan", "adjustments_yuan",
                               "closing_balance_yuan", "complete"]
                let rows = Self.months(answer).map { m in columns.map { TextTable.cell(m[$0]) } }
                return "account \(TextTable.cell(answer.object["account_id"])) (reading day \(TextTable.cell(answer.object["reading_day"])))\n"
                    + TextTable.render(columns, rows)
            }
            return
        }
        let answer: StationAnswer
        do {
            answer = try await connection.client.call("GET", path)
        } catch let error as StationCallError {
            printError("chargectl: \(error)")
            throw ExitCode(error.exitCode)
        }
        let text = Self.csvText(answer)
        if csv == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
        } else {
            do {
                try text.write(toFile: csv, atomically: true, encoding: .utf8)
            } catch {
                printError("chargectl: cannot write \(csv): \(error.localizedDescription)")
                throw ExitStatus.unavailable
            }
            print("wrote \(Self.months(answer).count) months of account \(id) to \(csv)")
        }
    }

    static func months(_ answer: StationAnswer) -> [[String: Any]] {
        answer.object["months"] as? [[String: Any]] ?? []
    }

    /// One CSV row a month; a null is an empty field.
    static func csvText(_ answer: StationAnswer) -> String {
        let account = answer.object["account_id"]
        let rows = months(answer).map { month in
            csvColumns.map { column -> String in
                let value: Any? = if column == "account_id" {
                    account
                } else if column.hasPrefix("registers_kwh.") {
                    (month["registers_kwh"] as? [String: Any])?[String(column.dropFirst("registers_kwh.".count))]
                } else {
                    month[column]
                }
                return value == nil || value is NSNull ? "" : TextTable.cell(value)
            }
        }
        return CSVFile.render(header: csvColumns, rows: rows)
    }
}
