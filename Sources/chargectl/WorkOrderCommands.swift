import ArgumentParser
import Foundation

/// `chargectl review assign ID NAME | --nobody`: who works on a review item.
struct ReviewAssign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assign",
                                                    abstract: "Name who works on an open review item (POST /v1/review/ID/assign).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Review item id.") var id: Int
    @Argument(help: "Who works on it.") var assignee: String?
    @Flag(help: "Take the item off whoever had it.") var nobody = false

    func validate() throws {
        guard (assignee == nil) == nobody else { throw ValidationError("name an assignee or give --nobody, not both or neither") }
    }

    func run() async throws {
        let body: [String: JSONValue] = ["assignee": assignee.map(JSONValue.string) ?? .null]
        try await connection.run({ [id] client throws(StationCallError) in
            try await client.call("POST", "v1/review/\(id)/assign", body: body)
        }) { answer in
            let who = answer.object["assignee"] is String ? TextTable.cell(answer.object["assignee"]) : "nobody"
            return "review item \(id): assigned to \(who), due \(TextTable.cell(answer.object["due_at"]))"
        }
    }
}
