import ArgumentParser
import Foundation

/// `chargectl meter live ADDR`: GET /v1/meters/ADDR/live.
struct MeterLive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Read a meter now through the daemon (its terminal line, control lane): registers, relay, clock, parameters.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The meter's 12-digit address.") var meter: String

    func run() async throws {
        try await connection.run({ [meter] client throws(StationCallError) in
            try await client.call("GET", "v1/meters/" + StationClient.escape(meter) + "/live")
        }) { answer in Self.describe(answer.object) }
    }

    static func describe(_ o: [String: Any]) -> String {
        let registers = o["registers"] as? [String: Any] ?? [:]
        var pairs: [(String, String)] = [
            ("meter", TextTable.cell(o["meter_address"])), ("read at", TextTable.cell(o["read_at"])),
            ("total kWh", TextTable.cell(o["total_kwh"])),
            ("registers", ["sharp", "peak", "flat", "valley"].map { "\($0) \(TextTable.cell(registers[$0]))" }.joined(separator: ", ")),
            ("relay", TextTable.cell(o["relay"])), ("alarm", TextTable.cell(o["alarm"])), ("keep power", TextTable.cell(o["keep_power"])),
            ("clock offset s", TextTable.cell(o["clock_offset_s"])), ("remaining yuan", TextTable.cell(o["remaining_yuan"])),
            ("station balance", TextTable.cell(o["balance_yuan"])),
        ]
        for (identifier, value) in (o["parameters"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            pairs.append((identifier, TextTable.cell(value)))
        }
        for note in o["notes"] as? [String] ?? [] { pairs.append(("note", note)) }
        return TextTable.pairs(pairs)
    }
}

/// `chargectl meter command ADDR KIND --reason TEXT`: POST /v1/meters/ADDR/commands.
struct MeterQueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "command",
        abstract: "Queue a 1CH command for a meter in the daemon's durable queue (retried, audited with your token's name).",
        discussion: """
            KIND: trip, allow_close, direct_close, alarm, alarm_release, keep_power, keep_power_release. A trip of a protected \
            account is refused. The policy may undo a command it does not plan at the account's next evaluation (the answer's \
            note says so); release fee control to keep it.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The meter's 12-digit address.") var meter: String
    @Argument(help: "The command kind.") var kind: String
    @Option(help: "Why (kept in the audit trail).") var reason: String

    func run() async throws {
        let body: JSONObject = ["kind": .string(kind), "reason": .string(reason)]
        try await connection.run({ [meter] client throws(StationCallError) in
            try await client.call("POST", "v1/meters/" + StationClient.escape(meter) + "/commands", body: body)
        }) { [meter] answer in
            let o = answer.object
            return "meter \(meter): \(TextTable.cell(o["kind"])) queued as command \(TextTable.cell(o["id"])) "
                + "(\(TextTable.cell(o["state"])))\n\(TextTable.cell(o["note"]))"
        }
    }
}
