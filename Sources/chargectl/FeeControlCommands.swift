import ArgumentParser

/// `chargectl account enrol|release ID --reason TEXT`: POST /v1/accounts/ID/fee-control.
struct AccountEnrol: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrol",
        abstract: "Put an account under fee control: its alarm limits and prices are written into the meter.",
        discussion: "The account is pending (never tripped) until every write is read back from the meter, then active.")

    @OptionGroup var call: FeeControlCall

    func run() async throws { try await call.send("enrol") }
}

struct AccountRelease: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Release an account from fee control: a trip in force is lifted, alarms released, no more decisions.")

    @OptionGroup var call: FeeControlCall

    func run() async throws { try await call.send("release") }
}

/// What `enrol` and `release` take, and the call they make.
struct FeeControlCall: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Account id.") var id: String
    @Option(help: "Why (kept in the audit trail).") var reason: String

    func send(_ action: String) async throws {
        let body: JSONObject = ["action": .string(action), "reason": .string(reason)]
        try await connection.run({ [id] client throws(StationCallError) in
            try await client.call("POST", "v1/accounts/" + StationClient.escape(id) + "/fee-control", body: body)
        }) { [id] answer in
            "account \(id): fee control \(TextTable.cell(answer.object["fee_control"]))\n" + AccountShow.describe(answer.object)
        }
    }
}
