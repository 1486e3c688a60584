import ArgumentParser
import ChargeControl
import Foundation

/// `chargectl review list|retry|resolve|cancel`.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "The job-review queue: commands remote control could not deliver, abnormal readings.",
        subcommands: [ReviewList.self, ReviewAct.Retry.self, ReviewAct.Resolve.self, ReviewAct.Cancel.self, ReviewAssign.self])
}

struct ReviewList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Open review items (GET /v1/review).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await connection.run({ client throws(StationCallError) in try await client.call("GET", "v1/review") }) { answer in
            let columns = ["id", "kind", "account_id", "meter_address", "command_id", "opened_at", "due_at", "assignee", "reason"]
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

        /// Posts the action with the note, and the resolution when one is given (reading items).
        func act(_ action: String, resolution: String? = nil) async throws {
            var body: [String: JSONValue] = ["note": .string(note)]
            if let resolution { body["resolution"] = .string(resolution) }
            try await connection.run({ [body] client throws(StationCallError) in
                try await client.call("POST", "v1/review/\(id)/\(action)", body: body)
            }) { answer in
                let resolution = answer.object["resolution"].map { " (\(TextTable.cell($0)))" } ?? ""
                return "review item \(id): \(TextTable.cell(answer.object["state"]))\(resolution)"
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry", abstract: "Send the command again, with a fresh deadline.")
        @OptionGroup var options: Options
        func run() async throws { try await options.act("retry") }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "A command's item: done on site, the command counts as carried out. An abnormal reading's: say what it was.",
            discussion: """
                An abnormal-reading item holds its account (no alarm, no trip, nothing billed) until it is resolved \
                with --resolution accept (the reading is right: billed from the baseline, and billing goes on from it) \
                or --resolution meter_replaced (it is the new baseline; the jump to it is not billed). \
                `chargectl review cancel` leaves the reading unused instead.
                """)
        @OptionGroup var options: Options
        @Option(help: "For an abnormal-reading item (required there): accept or meter_replaced.")
        var resolution: String?

        func validate() throws {
            if let resolution, ReadingResolution(rawValue: resolution) == nil {
                let known = ReadingResolution.allCases.map(\.rawValue).joined(separator: " or ")
                throw ValidationError("--resolution must be \(known), got \"\(resolution)\"")
            }
        }

        func run() async throws { try await options.act("resolve", resolution: resolution) }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel",
                                                        abstract: "Drop the command, or leave an abnormal reading unused.")
        @OptionGroup var options: Options
        func run() async throws { try await options.act("cancel") }
    }
}
