import Foundation
import ArgumentParser

/// `chargectl review list|retry|resolve|cancel`.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "The job-review queue: commands remote control could not deliver, abnormal readings.",
        subcommands: [ReviewList.self, ReviewAct.Retry.self, ReviewAct.Resolve.self, ReviewAct.Cancel.self])
}

struct ReviewList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Open review items (GET /v1/review).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await connection.run({ client throws(StationCallError) in try await client.call("GET", "v1/review") }) { answer in
            let columns = ["id", "kind", "account_id", "meter_address", "command_id", "opened_at", "reason"]
            return TextTable.render(columns, answer.list.map { item in columns.map { TextTable.cell(item[$0]) } })
        }
    }
}

/// The three actions on one item, each with the operator's note.
enum ReviewAct {
    struct Options: ParsableArguments {
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Review item id.") var id: Int
        @Option(help: "What was done or why (required).") var note: String

        func validate() throws {
            guard !note.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--note must not be empty") }
        }

        func act(_ action: String) async throws {
            try await connection.run({ client throws(StationCallError) in
                try await client.call("POST", "v1/review/\(id)/\(action)", body: ["note": .string(note)])
            }) { answer in "review item \(id): \(TextTable.cell(answer.object["state"]))" }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry", abstract: "Send the command again, with a fresh deadline.")
        @OptionGroup var options: Options
        func run() async throws { try await options.act("retry") }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Done on site: the command counts as carried out.")
        @OptionGroup var options: Options
        func run() async throws { try await options.act("resolve") }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Drop the command.")
        @OptionGroup var options: Options
        func run() async throws { try await options.act("cancel") }
    }
}
