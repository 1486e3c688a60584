import ArgumentParser
import Foundation

/// `chargectl terminal list`: GET /v1/terminals.
struct TerminalList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every terminal's condition (GET /v1/terminals).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await connection.run({ client throws(StationCallError) in try await client.call("GET", "v1/terminals") }) { answer in
            TextTable.render(["TERMINAL", "ADDRESS", "ONLINE", "SINCE", "METERS", "OK", "FAILED", "P50 MS", "P99 MS", "QUEUE"],
                             answer.list.map { t in
                                 [TextTable.cell(t["terminal_id"]), "\(TextTable.cell(t["host"])):\(TextTable.cell(t["port"]))",
                                  TextTable.cell(t["online"]), TextTable.cell(t["since"]), TextTable.cell(t["meters"]),
                                  TextTable.cell(t["reads_ok"]), TextTable.cell(t["reads_failed"]),
                                  TextTable.cell(t["round_trip_ms_p50"]), TextTable.cell(t["round_trip_ms_p99"]),
                                  TextTable.cell(t["queue_depth"])]
                             })
        }
    }
}

/// `chargectl terminal show ID`: GET /v1/terminals/ID.
struct TerminalShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One terminal's condition (GET /v1/terminals/ID).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Terminal id.") var id: String

    func run() async throws {
        try await connection.run({ [id] client throws(StationCallError) in
            try await client.call("GET", "v1/terminals/" + StationClient.escape(id))
        }) { answer in
            let t = answer.object
            return TextTable.pairs(["terminal_id", "host", "port", "online", "since", "last_reply_at", "meters", "reads_ok",
                                    "reads_failed", "success_ratio", "round_trip_ms_p50", "round_trip_ms_p99", "queue_depth"]
                .map { ($0, TextTable.cell(t[$0])) })
        }
    }
}
