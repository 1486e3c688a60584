import ArgumentParser

/// `chargectl pay`.
struct PayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pay", abstract: "Post a payment (POST /v1/payments); the same order again is recorded once.")

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .customLong("order-no"), help: "The purchase order number (unique per payment).") var orderNo: String
    @Option(help: "Account id.") var account: String
    @Option(help: "Amount in yuan, at most 2 decimals (\"50.00\").") var amount: String
    @Option(help: "counter, online_bank, third_party or mobile_app.") var channel: String
    @Option(name: .customLong("paid-at"), help: "When it was paid, RFC 3339 with offset (default: now).") var paidAt: String?

    func run() async throws {
        var body: JSONObject = ["order_no": .string(orderNo), "account_id": .string(account), "amount_yuan": .string(amount),
                                "channel": .string(channel)]
        body["paid_at"] = paidAt.map(JSONValue.string)
        try await connection.run({ client throws(StationCallError) in try await client.call("POST", "v1/payments", body: body) }) { answer in
            let p = answer.object
            let what = answer.status == 201 ? "recorded" : "was already recorded"
            return "payment \(TextTable.cell(p["order_no"])) \(what): \(TextTable.cell(p["amount_yuan"])) yuan to account "
                + "\(TextTable.cell(p["account_id"])), balance \(TextTable.cell(p["balance_yuan"])) yuan"
        }
    }
}

/// `chargectl commands --account ID`.
struct CommandsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commands", abstract: "An account's meter commands, newest first (GET /v1/commands).")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Account id.") var account: String

    func run() async throws {
        try await connection.run({ client throws(StationCallError) in
            try await client.call("GET", "v1/commands?account_id=" + StationClient.escape(account))
        }) { answer in
            let columns = ["id", "kind", "state", "attempts", "created_at", "not_before", "acknowledged_at", "reason", "last_error"]
            return TextTable.render(columns, answer.list.map { c in columns.map { TextTable.cell(c[$0]) } })
        }
    }
}

/// `chargectl stats [--region R]`.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Station or region figures (GET /v1/stats).")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this region.") var region: String?

    func run() async throws {
        let path = "v1/stats" + (region.map { "?region=" + StationClient.escape($0) } ?? "")
        try await connection.run({ client throws(StationCallError) in try await client.call("GET", path) }) { StatsCommand.describe($0.object) }
    }

    static func describe(_ s: [String: Any]) -> String {
        let states = (s["by_state"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }
            .map { "\($0.key) \(TextTable.cell($0.value))" }.joined(separator: ", ")
        return TextTable.pairs([
            ("region", s["region"] is String ? TextTable.cell(s["region"]) : "(all)"),
            ("accounts", TextTable.cell(s["accounts"])),
            ("by state", states.isEmpty ? "-" : states),
            ("consumption", TextTable.cell(s["consumption_kwh"]) + " kWh"),
            ("total balance", TextTable.cell(s["total_balance_yuan"]) + " yuan"),
            ("terminals online", "\(TextTable.cell(s["terminals_online"])) of \(TextTable.cell(s["terminals"]))"),
        ])
    }
}

/// `chargectl status`: is the daemon up, and (with a token) the station's figures.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Daemon health (GET /healthz) and station figures.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let client = try connection.client
        do {
            let health = try await client.call("GET", "healthz")
            guard client.token != nil else {
                print(connection.json ? health.text : "chargecontrold is up at \(client.baseURL.absoluteString)")
                return
            }
            let stats = try await client.call("GET", "v1/stats")
            print(connection.json ? "{\"health\": \(health.text), \"stats\": \(stats.text)}"
                  : "chargecontrold is up at \(client.baseURL.absoluteString)\n" + StatsCommand.describe(stats.object))
        } catch {
            printError("chargectl: \(error)")
            throw ExitCode(error.exitCode)
        }
    }
}
