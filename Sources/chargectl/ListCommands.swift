import ArgumentParser
import Foundation

/// `chargectl account list`: accounts by id, filtered by region and state (GET /v1/accounts).
struct AccountList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List accounts by id, a page at a time (GET /v1/accounts).",
        discussion: "--state is a control state (normal, alarm, tripped, protected, abnormal) or a fee-control state (pending, released).")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only accounts of this region.") var region: String?
    @Option(help: "Only accounts in this state.") var state: String?
    @Option(help: "Accounts per page (1-1000, default 100).") var limit: Int?
    @Option(help: "Start after this account id (the `next` of the page before).") var after: String?
    @Flag(help: "Every page, following `next` to the end.") var all = false

    func run() async throws {
        let query = [("region", region), ("state", state), ("limit", limit.map(String.init))]
        try await connection.run({ client throws(StationCallError) in
            try await PagedList.fetch(client, "v1/accounts", query, after: after, all: all)
        }) {
            PagedList.table($0, ["account_id", "region", "state", "fee_control", "balance_yuan", "relay", "meter_address", "last_reading_at"])
        }
    }
}

/// `chargectl audit list`: audit rows newest first (GET /v1/audit).
struct AuditList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List audit rows newest first, a page at a time (GET /v1/audit).")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only the rows of this account.") var account: String?
    @Option(help: "Rows per page (1-1000, default 100).") var limit: Int?
    @Option(help: "Start below this row id (the `next` of the page before).") var after: Int?
    @Flag(help: "Every page, following `next` to the end.") var all = false

    func run() async throws {
        let query = [("account_id", account), ("limit", limit.map(String.init))]
        try await connection.run({ client throws(StationCallError) in
            try await PagedList.fetch(client, "v1/audit", query, after: after.map(String.init), all: all)
        }) {
            PagedList.table($0, ["id", "at", "event", "account_id", "actor", "detail"])
        }
    }
}
