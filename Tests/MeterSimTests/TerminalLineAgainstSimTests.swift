import DLT645
import DLT645NIO
import Foundation
import Synchronization
import Testing
@testable import MeterSim

/// The daemon's line client against the simulator, over real sockets on 127.0.0.1: the two
/// halves of the foundation meet here.
@Suite("TerminalLine against meter-sim")
struct TerminalLineAgainstSimTests {
    static func line(port: Int, timeout: Duration = .seconds(10)) -> TerminalLine {
        TerminalLine(configuration: TerminalLineConfiguration(
            host: "127.0.0.1", port: port, requestTimeout: timeout,
            backoff: Backoff(initial: .milliseconds(50), maximum: .milliseconds(500), jitter: 0)))
    }

    /// Runs `body` with a running line, then stops it.
    static func withLine<T: Sendable>(_ line: TerminalLine, _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await line.run() }
            defer { line.shutdown() }
            return try await body()
        }
    }

    @Test func readsEveryMeterOfATerminalConcurrently() async throws {
        let fleet = try makeFleet(testConfiguration(terminals: 2, meters: 20))
        try await MeterSimulator.withRunning(fleet) { endpoints in
            let line = Self.line(port: endpoints.terminalPorts[1])
            try await Self.withLine(line) {
                // Terminal 1 serves meters 11…20: all asked at once, answered one at a time.
                let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                    for n in 11...20 {
                        group.addTask { try await line.send(.read(addr(String(n)), .forwardActiveBlock)) }
                    }
                    return try await group.reduce(into: [Reply]()) { $0.append($1) }
                }
                #expect(Set(replies.map(\.address)) == Set((11...20).map { addr(String($0)) }))
                for reply in replies {
                    guard case .data(_, .forwardActiveBlock, let value, _) = reply else {
                        Issue.record("not a block reply: \(reply)"); continue
                    }
                    #expect(value.count == 20)
                }
            }
        }
    }

    @Test func controlGoesAheadOfQueuedReads() async throws {
        // A small answer delay lets a queue build up behind the first read.
        var configuration = testConfiguration(terminals: 1, meters: 10)
        configuration.faults = FaultConfiguration(delayMilliseconds: 30...30)
        let fleet = try makeFleet(configuration)
        try await MeterSimulator.withRunning(fleet) { endpoints in
            let line = Self.line(port: endpoints.terminalPorts[0])
            try await Self.withLine(line) {
                let order = OrderLog()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for n in 1...6 {
                        group.addTask {
                            _ = try await line.send(.read(addr(String(n)), .forwardActiveTotal))
                            order.append("read \(n)")
                        }
                    }
                    // Wait until one read is on the wire and five are queued (no timing involved).
                    try await waitUntil { line.health.queued >= 5 }
                    _ = try await line.send(.remoteControl(addr("7"), control(.alarm, deadline: dateTime(2099, 1, 1, 0, 0, 0))))
                    order.append("control")
                    try await group.waitForAll()
                }
                let seen = order.entries
                // The control overtakes every read that was still queued: only the read already
                // on the wire may finish before it.
                let position = try #require(seen.firstIndex(of: "control"))
                #expect(position <= 1, "order was \(seen)")
                #expect(fleet.snapshot(addr("7"))?.alarm == true)
            }
        }
    }

    @Test func silenceTimesOutAndAbnormalRepliesAreErrors() async throws {
        let fleet = try makeFleet(testConfiguration(terminals: 1, meters: 2))
        try await MeterSimulator.withRunning(fleet) { endpoints in
            let line = Self.line(port: endpoints.terminalPorts[0])
            try await Self.withLine(line) {
                // Meter 99 is not on this terminal: the simulator stays silent, as a bus would.
                do {
                    _ = try await line.send(.read(addr("99"), .forwardActiveTotal), timeout: .milliseconds(300))
                    Issue.record("a read of an absent meter was answered")
                } catch {
                    #expect(error as? TerminalLineError == .timeout(.milliseconds(300)))
                }
                do {
                    _ = try await line.send(.remoteControl(addr("1"), control(.trip, password: "02999999",
                                                                              deadline: dateTime(2099, 1, 1, 0, 0, 0))))
                    Issue.record("a wrong password was accepted")
                } catch {
                    guard case .abnormalReply(.remoteControl, let word)? = error as? TerminalLineError else {
                        Issue.record("unexpected \(error)"); return
                    }
                    #expect(word.isUnauthorized)
                }
                // The line is still usable afterwards.
                let reply = try await line.send(.read(addr("2"), .statusWord3))
                #expect(reply.address == addr("2"))
            }
        }
    }

    @Test func reconnectsWhenTheSimulatorComesBack() async throws {
        let first = try makeFleet(testConfiguration(terminals: 1, meters: 3))
        let port = try await MeterSimulator.withRunning(first) { endpoints in endpoints.terminalPorts[0] }
        // The simulator is gone; the line keeps trying with back-off.
        let line = Self.line(port: port)
        try await Self.withLine(line) {
            try await waitUntil { line.health.counters.connectFailures >= 1 }
            var configuration = testConfiguration(terminals: 1, meters: 3)
            configuration.basePort = port
            let second = try makeFleet(configuration)
            try await MeterSimulator.withRunning(second) { _ in
                let reply = try await line.send(.read(addr("3"), .forwardActiveTotal))
                #expect(reply.address == addr("3"))
            }
        }
    }
}

/// Polls `condition` every few milliseconds, giving up (and failing) after a generous bound.
func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<2_000 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met in time")
}

/// What finished, in order, shared between a test and its tasks.
final class OrderLog: Sendable {
    private let state = Mutex<[String]>([])
    func append(_ entry: String) { state.withLock { $0.append(entry) } }
    var entries: [String] { state.withLock { $0 } }
}
