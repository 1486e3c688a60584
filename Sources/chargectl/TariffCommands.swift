import ArgumentParser
import Foundation
import Tariffs

/// `chargectl tariff …`: validate and try out tariff files before the station loads them.
struct TariffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tariff",
        abstract: "Check tariff files and quote charges with them.",
        subcommands: [TariffCheck.self, TariffQuote.self]
    )
}

/// Writes `message` to standard error and fails with exit code 1 (INTERFACES.md).
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    return ExitCode(1)
}

func loadTariff(_ path: String) throws -> Tariff {
    do {
        return try Tariff.load(path: path)
    } catch {
        throw fail("chargectl: " + error.description)
    }
}

struct TariffCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a tariff file: exit 0 with a summary, or 1 with the error on stderr."
    )

    @Argument(help: "The tariff file (TOML).")
    var file: String

    func run() throws {
        let tariff = try loadTariff(file)
        print(TariffSummary(tariff).text)
    }
}

struct TariffQuote: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quote",
        abstract: "The charge of register consumptions at an instant, for an account's kWh so far in its tier year."
    )

    @Argument(help: "The tariff file (TOML).")
    var file: String

    @Option(help: "The instant, RFC 3339 with offset (2025-03-01T10:00:00+08:00).")
    var at: String

    @Option(name: .customLong("ytd-kwh"), help: "kWh used so far in the tier year.")
    var ytdKWh: String

    @Option(help: "kWh on the sharp register (tariff 1).")
    var sharp: String = "0"
    @Option(help: "kWh on the peak register (tariff 2).")
    var peak: String = "0"
    @Option(help: "kWh on the flat register (tariff 3).")
    var flat: String = "0"
    @Option(help: "kWh on the valley register (tariff 4).")
    var valley: String = "0"

    @Flag(help: "Print one JSON object.")
    var json = false

    func energy(_ text: String, _ option: String) throws -> Energy {
        do {
            return try Energy(kWh: text)
        } catch {
            throw fail("chargectl: --\(option): \(error.description)")
        }
    }

    func run() throws {
        guard let instant = RFC3339.parse(at) else {
            throw fail("chargectl: --at: \"\(at)\" is not an RFC 3339 instant with offset, such as 2025-03-01T10:00:00+08:00")
        }
        let registers = PerRegister(
            sharp: try energy(sharp, "sharp"), peak: try energy(peak, "peak"),
            flat: try energy(flat, "flat"), valley: try energy(valley, "valley"))
        let yearToDate = try energy(ytdKWh, "ytd-kwh")
        let tariff = try loadTariff(file)
        guard let consumption = Consumption(registers: registers) else {
            throw fail("chargectl: the consumption is too large")
        }
        let quote: Quote
        do {
            quote = try tariff.quote(consumption, at: instant, yearToDate: yearToDate)
        } catch {
            throw fail("chargectl: \(file): \(error.description)")
        }
        let report = QuoteReport(tariff: tariff, quote: quote)
        print(json ? report.json : report.text)
    }
}
