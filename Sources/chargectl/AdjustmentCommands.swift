import ArgumentParser

/// `chargectl account adjust ID --adjustment-no N --amount A --reason R`.
struct AccountAdjust: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adjust",
        abstract: "Credit or debit an account with a reason (POST /v1/accounts/ID/adjustments); the same number again is recorded once.",
        discussion: """
            The account is decided again at once through the normal policy: a refund can reconnect; a debit trips only \
            inside a trip window and never a protected account. Audited with the operator's name.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Account id.") var id: String
    @Option(name: .customLong("adjustment-no"), help: "The adjustment's number (unique per adjustment).") var adjustmentNo: String
    // Unconditional: "-2.50" is the value, not an option.
    @Option(parsing: .unconditional, help: "Signed amount in yuan, at most 2 decimals (\"-12.50\" debits).") var amount: String
    @Option(help: "Why (required).") var reason: String

    func run() async throws {
        let body: JSONObject = ["adjustment_no": .string(adjustmentNo), "amount_yuan": .string(amount), "reason": .string(reason)]
        try await connection.run({ [id] client throws(StationCallError) in
            try await client.call("POST", "v1/accounts/\(StationClient.escape(id))/adjustments", body: body)
        }) { answer in
            let a = answer.object
            let what = answer.status == 201 ? "recorded" : "was already recorded"
            return "adjustment \(TextTable.cell(a["adjustment_no"])) \(what): \(TextTable.cell(a["amount_yuan"])) yuan to account "
                + "\(TextTable.cell(a["account_id"])), balance \(TextTable.cell(a["balance_yuan"])) yuan"
        }
    }
}
