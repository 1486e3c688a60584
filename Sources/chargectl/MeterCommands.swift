import ArgumentParser
import DLT645
import DLT645NIO
import Foundation
import Tariffs

/// `chargectl meter …`: `live` and `command` go through the daemon (its lines, its durable
/// queue, its audit trail); `read` and `control --terminal` talk DL/T 645 to one meter directly
/// through its terminal, bypassing the daemon — for commissioning, diagnosis, and the demo.
struct MeterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meter",
        abstract: "Read or command one meter: through the daemon (live, command) or directly through its terminal (read, control).",
        subcommands: [MeterLive.self, MeterQueueCommand.self, MeterRead.self, MeterControl.self]
    )
}

struct TerminalOptions: ParsableArguments {
    @Option(name: .long, help: "The terminal's HOST:PORT.")
    var terminal: String

    @Option(name: .long, help: "Seconds to wait for each answer.")
    var timeout: Int = 5

    func line() throws -> TerminalLine {
        let parts = terminal.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let port = Int(parts[parts.count - 1]), (1...65535).contains(port) else {
            throw ValidationError("--terminal \(terminal): want HOST:PORT with a port between 1 and 65535")
        }
        let host = parts.dropLast().joined(separator: ":")
        guard timeout > 0 else { throw ValidationError("--timeout \(timeout): want a positive number of seconds") }
        return TerminalLine(configuration: TerminalLineConfiguration(
            host: host, port: port, requestTimeout: .seconds(timeout), connectTimeout: .seconds(timeout),
            backoff: Backoff(initial: .milliseconds(200), maximum: .seconds(1))))
    }
}

/// Runs `body` with a connected line, then closes it.
func withLine<T: Sendable>(_ line: TerminalLine, _ body: @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await line.run() }
        defer { line.shutdown() }
        return try await body()
    }
}

func meterAddress(_ text: String) throws -> MeterAddress {
    do { return try MeterAddress(text) } catch { throw ValidationError(error.description) }
}

struct MeterRead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Diagnostic: read a meter directly through its terminal, bypassing the daemon.",
        discussion: "Talks DL/T 645 to --terminal itself, beside the daemon's own line to it. Use `meter live` to read through the daemon."
    )

    @OptionGroup var terminal: TerminalOptions

    @Argument(help: "The meter's 12-digit address.")
    var meter: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        let address = try meterAddress(meter)
        let line = try terminal.line()
        let report = try await withLine(line) { try await MeterReport.read(address, on: line) }
        print(json ? report.json : report.text)
    }
}

struct MeterControl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Diagnostic: send a 1CH command directly through the terminal, bypassing the daemon's queue.",
        discussion: """
            Commands: trip, allow_close, direct_close, alarm, alarm_release, keep_power, keep_power_release. Nothing is \
            queued, retried, audited or re-checked against the policy, and the station does not learn the meter's new state \
            until its next read. Use `meter command` to command a meter through the daemon's durable queue.
            """
    )

    @OptionGroup var terminal: TerminalOptions

    @Argument(help: "The meter's 12-digit address.")
    var meter: String

    @Argument(help: "The command.")
    var command: String

    @Option(help: "Control password, 8 hex digits, level byte first.")
    var password = "02000000"

    @Option(name: .customLong("operator"), help: "Operator code, 8 hex digits.")
    var operatorCode = "00000001"

    @Option(help: "Minutes the command stays valid (written into the frame).")
    var validMinutes = 10

    @Option(help: "The meter's time zone, for the validity deadline.")
    var timezone = "Asia/Shanghai"

    func run() async throws {
        let address = try meterAddress(meter)
        guard let kind = RemoteControlCommand.allCases.first(where: { $0.description == command }) else {
            throw ValidationError("unknown command \"\(command)\": want one of "
                + RemoteControlCommand.allCases.map(\.description).joined(separator: ", "))
        }
        guard let zone = TimeZone(identifier: timezone) else { throw ValidationError("--timezone \(timezone): unknown time zone") }
        let request: Request
        do {
            let deadline = try MeterDateTime(Date().addingTimeInterval(TimeInterval(validMinutes * 60)), in: zone)
            request = .remoteControl(address, RemoteControl(password: try Password(password), operatorCode: try OperatorCode(operatorCode),
                                                             command: kind, deadline: deadline))
        } catch {
            throw ValidationError(error.description)
        }
        let line = try terminal.line()
        do {
            _ = try await withLine(line) { try await line.send(request) }
            print("\(address): \(kind) acknowledged")
        } catch let error as TerminalLineError {
            throw fail("chargectl: \(address): \(kind) failed: \(error)")
        }
    }
}
