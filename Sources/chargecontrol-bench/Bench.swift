import ArgumentParser
import Foundation

/// `chargecontrol-bench`: the measured scenarios (issue text names them). Build with
/// `-c release`; a debug build measures the debugger's patience, not the code.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chargecontrol-bench",
        abstract: "Measure ChargeControl's scenarios and print a table (or JSON with --json)."
    )

    @Option(help: "Meters for the scenarios that run a simulator (not used by p4).")
    var meters: Int = 1_000

    @Option(help: "Accounts whose control policy p4 evaluates.")
    var accounts: Int = 1_000_000

    @Option(help: "Seconds to spend rating intervals in p4.")
    var seconds: Int = 3

    @Flag(help: "Print one JSON object keyed by scenario id.")
    var json = false

    func run() throws {
        let p4 = try RatingScenario(ratingSeconds: seconds, accounts: accounts).run()
        if json {
            print("{\"p4\": \(p4.json)}")
        } else {
            print(p4.table)
        }
    }
}
