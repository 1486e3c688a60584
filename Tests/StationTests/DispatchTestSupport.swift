import ChargeControl
import DLT645
import DLT645NIO
import Foundation
import Logging
import MeterSim
import Store
import Synchronization
import Testing
@testable import Station

/// Log lines a test can inspect: message, level and metadata rendered to strings.
final class LogRecorder: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]

        var event: String? { metadata["event"] }
        /// Everything the line carries, for "the password never shows" checks.
        var text: String { message + " " + metadata.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
    }

    private let entries = Mutex<[Entry]>([])

    var all: [Entry] { entries.withLock { $0 } }

    func events(_ name: String) -> [Entry] { all.filter { $0.event == name } }

    func append(_ e: Entry) { entries.withLock { $0.append(e) } }

    func logger(_ label: String = "dispatch-test") -> Logger {
        var logger = Logger(label: label) { _ in RecordingHandler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct RecordingHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        recorder.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}

/// A station wired to an in-process meter-sim on 127.0.0.1: store (in memory or a file), manual
/// station clock, terminal line T1 to the sim's terminal 0 on manual line time (its timeouts fire
/// when a test moves `lineTime`, see `ManualLineClock`), account A1 on meter 000000000001.
struct DispatchRig: Sendable {
    let store: StationStore
    let clock: ManualStationClock
    let lineTime: ManualStationClock
    let core: StationCore
    let fleet: MeterFleet
    let lines: TerminalLines
    let logs: LogRecorder
    let start: Date

    static let meter = "000000000001"
    var meterAddress: MeterAddress { MeterAddress(packed: 1) }

    /// The sim's view of the meter.
    var simMeter: MeterSnapshot? { fleet.snapshot(meterAddress) }

    func simChange(_ change: MeterChange) { _ = fleet.apply(change, to: meterAddress) }

    /// Provisions A1 through the core (so it is evaluated at once) with `opening` yuan.
    @discardableResult
    func provision(opening: String, enrolAtOnce: Bool = false) async throws -> AccountRecord {
        try await core.upsertAccount(AccountProvisioning(accountID: "A1", meterAddress: Self.meter, terminalID: "T1",
                                                         tariff: "flat-test", region: "north", openingBalance: yuan(opening),
                                                         enrolAtOnce: enrolAtOnce))
    }

    func pay(_ amount: String, order: String) async throws {
        _ = try await core.pay(PaymentRequest(orderNo: order, accountID: "A1", amount: yuan(amount), channel: .counter,
                                              paidAt: clock.now))
    }

    func commands() async throws -> [CommandRecord] { try await store.commands(account: "A1").reversed() }

    func command(_ kind: CommandKind) async throws -> CommandRecord? {
        try await store.commands(account: "A1").first { $0.kind == kind }
    }

    /// The policy the tests use: password 02000000, operator 00000001, Shanghai.
    static func policy(maxAttempts: Int = 5, initial: Duration = .seconds(10), max: Duration = .seconds(600),
                       password: String = "02000000") throws -> DispatchPolicy {
        DispatchPolicy(maxAttempts: maxAttempts, backoffInitial: initial, backoffMax: max, jitter: 0.2,
                       password: try Password(password), operatorCode: try OperatorCode("00000001"), timeZone: shanghai)
    }

    /// Runs a dispatcher (and the terminal lines) around `body`, then stops both.
    func withDispatcher(policy: DispatchPolicy, pollInterval: Duration = .seconds(1), random: @escaping @Sendable () -> Double = { 0 },
                        _ body: @Sendable (Dispatcher) async throws -> Void) async throws {
        let dispatcher = Dispatcher(core: core, lines: lines, policy: policy, logger: logs.logger(), pollInterval: pollInterval,
                                    rescanInterval: pollInterval * 60, random: random)
        let lines = self.lines
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await lines.run() }
            group.addTask { await dispatcher.run() }
            do {
                try await body(dispatcher)
            } catch {
                group.cancelAll()
                lines.shutdown()
                throw error
            }
            group.cancelAll()
            lines.shutdown()
        }
    }
}

/// Builds a rig: a sim with `meters` meters on one terminal (load 0, registers frozen), whose
/// meters take `simPassword`; trips allowed in `windows`; the station clock at `start`.
func withDispatchRig(start: String = "2026-11-23T10:00:00+08:00", windows: [String] = ["Mon-Sun 00:00-24:00"],
                     simPassword: String = "02000000", storePath: String? = nil,
                     _ body: @Sendable (DispatchRig) async throws -> Void) async throws {
    let startInstant = instant(start)
    let simClock = ManualClock(unixSeconds: Int64(startInstant.timeIntervalSince1970))
    let fleet = try MeterFleet(configuration: SimConfiguration(meters: 2, loadWatts: 0, password: try Password(simPassword)),
                               clock: simClock)
    try await MeterSimulator.withRunning(fleet) { endpoints in
        let store = try storePath.map { try StationStore.open(path: $0) } ?? StationStore.inMemory()
        try await store.upsertTerminal(TerminalRecord(id: "T1", host: endpoints.host, port: endpoints.terminalPorts[0]), at: startInstant)
        let clock = ManualStationClock(startInstant)
        let logs = LogRecorder()
        let core = StationCore(store: store, evaluator: Evaluator(rules: try rules(windows: windows)), clock: clock,
                               logger: logs.logger("core"))
        let lineTime = ManualStationClock(startInstant)
        let lines = TerminalLines(clock: ManualLineClock(time: lineTime)) { t in
            TerminalLineConfiguration(host: t.host, port: t.port, requestTimeout: .milliseconds(300),
                                      connectTimeout: .seconds(5), quietPeriodAfterTimeout: .milliseconds(10))
        }
        lines.update(try await store.terminals())
        try await body(DispatchRig(store: store, clock: clock, lineTime: lineTime, core: core, fleet: fleet, lines: lines,
                                   logs: logs, start: startInstant))
    }
}
