import ArgumentParser

/// `chargectl terminal add`.
struct TerminalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "terminal", abstract: "Provision terminals and see their condition.",
                                                    subcommands: [TerminalAdd.self, TerminalList.self, TerminalShow.self])
}

struct TerminalAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add or update a terminal (POST /v1/terminals).")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Terminal id.") var id: String
    @Option(help: "Host name or address of the terminal.") var host: String
    @Option(help: "TCP port (1-65535).") var port: Int

    func run() async throws {
        let body: JSONObject = ["terminal_id": .string(id), "host": .string(host), "port": .int(port)]
        try await connection.run({ client throws(StationCallError) in try await client.call("POST", "v1/terminals", body: body) }) { answer in
            "terminal \(id) \(answer.status == 201 ? "added" : "updated"): \(host):\(port)"
        }
    }
}

/// `chargectl account add|show|enrol|release|adjust`.
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "account", abstract: "Provision and inspect accounts.",
                                                    subcommands: [AccountAdd.self, AccountShow.self, AccountList.self, AccountStatement.self,
                                                                  AccountEnrol.self, AccountRelease.self, AccountAdjust.self])
}

struct AccountAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add or update an account and its meter (POST /v1/accounts).")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Account id.") var id: String
    @Option(help: "Meter address: 12 digits as on the nameplate.") var meter: String
    @Option(help: "The terminal the meter hangs on.") var terminal: String
    @Option(help: "Tariff name.") var tariff: String
    @Option(help: "Region, for the stats.") var region: String
    @Option(name: .customLong("class"), help: "Customer class ([collection.classes.NAME], [control.classes.NAME]).") var customerClass: String?
    @Option(help: "Alarm threshold in yuan (default: the station's).") var alarm: String?
    @Option(help: "Trip threshold in yuan (default: the station's).") var trip: String?
    @Flag(name: .customLong("protected"), help: "Never trip this account (hospital, …).") var isProtected = false
    @Option(name: .customLong("opening-balance"), help: "Opening balance in yuan.") var openingBalance: String?
    @Option(name: .customLong("fee-control"),
            help: "active (default: controlled at once, nothing pushed) or pending (enrolled: limits and prices written first).")
    var feeControl: String?

    func run() async throws {
        var body: JSONObject = ["account_id": .string(id), "meter_address": .string(meter), "terminal_id": .string(terminal),
                                "tariff": .string(tariff), "region": .string(region), "protected": .bool(isProtected)]
        body["customer_class"] = customerClass.map(JSONValue.string)
        body["alarm_yuan"] = alarm.map(JSONValue.string)
        body["trip_yuan"] = trip.map(JSONValue.string)
        body["opening_balance_yuan"] = openingBalance.map(JSONValue.string)
        body["fee_control"] = feeControl.map(JSONValue.string)
        try await connection.run({ client throws(StationCallError) in try await client.call("POST", "v1/accounts", body: body) }) { answer in
            "account \(id) \(answer.status == 201 ? "added" : "updated")\n" + AccountShow.describe(answer.object)
        }
    }
}

struct AccountShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an account (GET /v1/accounts/ID).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Account id.") var id: String

    func run() async throws {
        try await connection.run({ client throws(StationCallError) in
            try await client.call("GET", "v1/accounts/" + StationClient.escape(id))
        }) { AccountShow.describe($0.object) }
    }

    static func describe(_ a: [String: Any]) -> String {
        let keys = ["account_id", "meter_address", "terminal_id", "tariff", "region", "balance_yuan", "state", "relay", "alarm",
                    "keep_power", "protected", "alarm_yuan", "trip_yuan", "fee_control", "days_left", "last_reading_at"]
        return TextTable.pairs(keys.map { ($0, TextTable.cell(a[$0])) })
    }
}
