import DLT645
import DLT645NIO
import Synchronization
import Testing

/// Meters of the fake terminals.
enum Meters {
    static let one = address(1)
    static let two = address(2)
    static let three = address(3)
    static let stranger = address(999)

    static func address(_ n: UInt64) -> MeterAddress {
        (try? MeterAddress(number: n)) ?? .broadcast
    }
}

enum Items {
    static let total = DataIdentifier.forwardActiveTotal
    static let remaining = DataIdentifier.remainingAmount
    static let status = DataIdentifier.statusWord3
}

/// A meter that answers at once (after `delay`): reads with `value`, everything else with an
/// acknowledgement.
func meter(delay: Duration = .zero, value: [UInt8] = [0x26, 0, 0, 0]) -> FakeTerminal.Behaviour {
    { request in
        let wait: [FakeTerminal.Step] = delay > .zero ? [.wait(delay)] : []
        return wait + [.reply(normalReply(to: request, value: value))]
    }
}

func normalReply(to request: Request, value: [UInt8] = [0x26, 0, 0, 0]) -> Reply {
    switch request {
    case .read(let a, let di, _): .data(a, di, value: value, followUp: false)
    case .readFollowUp(let a, let di, let seq): .followUpData(a, di, value: value, sequence: seq, followUp: false)
    case .readAddress: .address(Meters.one)
    default: .acknowledged(request.address, request.function)
    }
}

func trip(_ address: MeterAddress) throws -> Request {
    .remoteControl(address, RemoteControl(
        password: try Password("02123456"),
        operatorCode: OperatorCode(rawValue: 0x1234_5678),
        command: .trip,
        deadline: try MeterDateTime(year: 2030, month: 1, day: 1, hour: 0, minute: 0, second: 0)
    ))
}

/// Settings for a line to a fake terminal: generous timeouts where a reply is expected, quick
/// reconnection.
func testConfiguration(port: Int, quietPeriod: Duration = .zero) -> TerminalLineConfiguration {
    TerminalLineConfiguration(
        host: "127.0.0.1",
        port: port,
        requestTimeout: .seconds(20),
        connectTimeout: .seconds(5),
        backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200), jitter: 0),
        quietPeriodAfterTimeout: quietPeriod
    )
}

/// Runs `body` with a running line, then shuts the line down.
func withLine<T>(
    _ configuration: TerminalLineConfiguration,
    clock: any Clock<Duration> = ContinuousClock(),
    random: @escaping @Sendable () -> Double = { 0 },
    _ body: (TerminalLine) async throws -> T
) async throws -> T {
    let line = TerminalLine(configuration: configuration, clock: clock, random: random)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await line.run() }
        do {
            let result = try await body(line)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

struct WaitedTooLong: Error, CustomStringConvertible {
    let what: String
    var description: String { "gave up waiting for \(what)" }
}

/// Waits (in real time, generously) until `condition` holds. Only for conditions that must
/// become true; never a measure of speed. Bounded by wall time *and* polls (one per 2 ms of
/// `limit`), so a starved pool on a loaded machine stretches the wait instead of failing it;
/// ten times `limit` still ends a real hang.
func eventually(_ what: String, within limit: Duration = .seconds(20), _ condition: () -> Bool) async throws {
    let clock = ContinuousClock()
    let start = clock.now
    let polls = Int(limit / .milliseconds(2))
    var polled = 0
    while !condition() {
        let waited = clock.now - start
        guard waited < limit || (polled < polls && waited < limit * 10) else { throw WaitedTooLong(what: what) }
        polled += 1
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// The error `body` threw, or nil when it returned.
func lineError(_ body: () async throws(TerminalLineError) -> Reply) async -> TerminalLineError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

/// A value shared between a test and the tasks or fake meters it starts.
final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    var value: Value { state.withLock { $0 } }
    @discardableResult
    func update<R: Sendable>(_ body: (inout Value) -> R) -> R { state.withLock { body(&$0) } }
}

/// Runs `body` with a fake terminal listening on a free port, stopping it afterwards.
func withTerminal<T>(_ body: (FakeTerminal, Int) async throws -> T) async throws -> T {
    let terminal = FakeTerminal()
    let port = try await terminal.start()
    do {
        let result = try await body(terminal, port)
        await terminal.stop()
        return result
    } catch {
        await terminal.stop()
        throw error
    }
}

/// Runs `body` with a fake terminal and a running line to it.
func withTerminalLine<T>(
    quietPeriod: Duration = .zero,
    _ body: (FakeTerminal, TerminalLine) async throws -> T
) async throws -> T {
    try await withTerminal { terminal, port in
        try await withLine(testConfiguration(port: port, quietPeriod: quietPeriod)) { line in
            // Tests with short timeouts must not spend them on connecting.
            try await eventually("line connected") { line.health.isConnected }
            return try await body(terminal, line)
        }
    }
}
