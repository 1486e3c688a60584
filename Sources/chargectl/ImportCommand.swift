import ArgumentParser
import Foundation

/// `chargectl import --terminals FILE.csv --accounts FILE.csv`: provisions from CSV files whose
/// columns are the JSON keys of `POST /v1/terminals` and `POST /v1/accounts`. Terminals go
/// first. Bad lines are reported with file and line and skipped; the exit code is 1 if any
/// failed, 3 if the daemon could not be reached.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Provision terminals and accounts from CSV files (columns = the API's JSON keys).")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "CSV of terminals: terminal_id,host,port.") var terminals: String?
    @Option(help: "CSV of accounts: account_id,meter_address,terminal_id,tariff,region[,alarm_yuan,trip_yuan,protected,opening_balance_yuan].")
    var accounts: String?

    func validate() throws {
        guard terminals != nil || accounts != nil else { throw ValidationError("give --terminals FILE, --accounts FILE or both") }
    }

    /// What one file gave.
    struct Tally: Sendable {
        var imported = 0
        var failed = 0
    }

    func run() async throws {
        let client = try connection.client
        var failures: [String] = []
        var report: [(String, Tally)] = []
        do {
            for (file, schema) in [(terminals, ImportSchema.terminals), (accounts, ImportSchema.accounts)] {
                guard let file else { continue }
                let tally = try await Self.importFile(file, schema: schema, client: client) { failures.append($0) }
                report.append((schema.noun, tally))
            }
        } catch {
            printError("chargectl: \(error) (import stopped)")
            throw ExitCode(error.exitCode)
        }
        let summary = report.map { "\($0.1.imported) \($0.0)" }.joined(separator: ", ")
        let failed = report.reduce(0) { $0 + $1.1.failed }
        print("imported \(summary)" + (failed > 0 ? "; \(failed) line(s) failed" : ""))
        if !failures.isEmpty { throw ExitStatus.refused }
    }

    /// Imports one file; each bad line is passed to `report` ("FILE:LINE: problem") and skipped.
    /// Stops with the error when the daemon cannot be reached or fails.
    static func importFile(_ file: String, schema: ImportSchema, client: StationClient,
                           report: (String) -> Void) async throws(StationCallError) -> Tally {
        var tally = Tally()
        func fail(_ line: Int, _ problem: String) {
            tally.failed += 1
            printError("\(file):\(line): \(problem)")
            report("\(file):\(line): \(problem)")
        }
        let csv: CSVFile
        do {
            csv = try CSVFile.parse(try String(contentsOfFile: file, encoding: .utf8))
            try schema.check(header: csv.header)
        } catch let error as ImportRowError {
            fail(error.line, error.problem)
            return tally
        } catch let error as CSVError {
            tally.failed += 1
            printError("\(file):\(error)")
            report("\(file):\(error)")
            return tally
        } catch {
            fail(0, "cannot read: \((error as NSError).localizedDescription)")
            return tally
        }
        var progress = ProgressBar(label: schema.noun, total: csv.records.count)
        defer { progress.finish() }
        for (index, record) in csv.records.enumerated() {
            progress.update(index)
            do {
                let body = try schema.body(header: csv.header, record: record)
                _ = try await client.call("POST", schema.path, body: body)
                tally.imported += 1
            } catch let error as ImportRowError {
                progress.finish()
                fail(error.line, error.problem)
            } catch StationCallError.refused(_, let message) {
                progress.finish()
                fail(record.line, message)
            } catch let error as StationCallError {
                throw error
            } catch {
                fail(record.line, "\(error)")
            }
        }
        progress.update(csv.records.count)
        return tally
    }
}
