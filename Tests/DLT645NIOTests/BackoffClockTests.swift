import DLT645
import DLT645NIO
import Testing

/// Reconnection timed by an injected clock: no real waiting, exact delays.
@Suite struct BackoffClockTests {
    /// Port 1 (tcpmux) on loopback: nothing listens there, and no test's listener can take it
    /// (they bind ephemeral ports), so every connection is refused at once.
    static let refusingPort = 1

    /// A port that was free a moment ago, for a terminal that appears later.
    static func closedPort() async throws -> Int {
        let terminal = FakeTerminal()
        let port = try await terminal.start()
        await terminal.stop()
        return port
    }

    static func configuration(port: Int) -> TerminalLineConfiguration {
        TerminalLineConfiguration(
            host: "127.0.0.1", port: port, requestTimeout: .seconds(30),
            backoff: Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.5)
        )
    }

    /// Steps the clock through `count` refused attempts and returns the delays the line chose.
    static func delays(_ count: Int, clock: ManualClock, line: TerminalLine) async throws -> [Duration] {
        var delays: [Duration] = []
        for attempt in 1...count {
            try await eventually("attempt \(attempt) refused") { line.health.counters.connectFailures == attempt && clock.sleepers.count == 1 }
            let deadline = clock.sleepers[0]
            delays.append(deadline - clock.now.offset)
            clock.advance(to: deadline)
        }
        return delays
    }

    @Test func delaysDoubleUpToTheMaximum() async throws {
        let clock = ManualClock()
        try await withLine(Self.configuration(port: Self.refusingPort), clock: clock, random: { 0 }) { line in
            let delays = try await Self.delays(6, clock: clock, line: line)
            #expect(delays == [200, 400, 800, 1000, 1000, 1000].map { Duration.milliseconds($0) })
            #expect(!line.health.isConnected)
            #expect(line.health.consecutiveFailures >= 6)
        }
    }

    @Test func jitterFromTheInjectedRandomSourceShortensDelays() async throws {
        let clock = ManualClock()
        try await withLine(Self.configuration(port: Self.refusingPort), clock: clock, random: { 0.5 }) { line in
            let delays = try await Self.delays(4, clock: clock, line: line)
            #expect(delays == [150, 300, 600, 750].map { Duration.milliseconds($0) })
        }
    }

    @Test func waitingRequestGivesUpWithTheConnectionError() async throws {
        let clock = ManualClock()
        try await withLine(Self.configuration(port: Self.refusingPort), clock: clock) { line in
            try await eventually("first attempt refused") { line.health.counters.connectFailures == 1 }
            async let outcome = lineError { () async throws(TerminalLineError) -> Reply in
                try await line.send(.read(Meters.one, Items.total), timeout: .seconds(5))
            }
            try await eventually("request queued") { line.health.queued == 1 }
            // Keep refusing until the request's 5 s are up.
            while clock.now.offset < .seconds(5) {
                try await eventually("line asleep") { !clock.sleepers.isEmpty }
                clock.advance(to: clock.sleepers[0])
            }
            guard case .cannotConnect(let reason) = await outcome else {
                Issue.record("expected cannotConnect")
                return
            }
            #expect(!reason.isEmpty)
        }
    }

    @Test func connectsOnceTheTerminalAppears() async throws {
        let clock = ManualClock()
        let port = try await Self.closedPort()
        let terminal = FakeTerminal()
        terminal.set(Meters.one, meter())
        try await withLine(Self.configuration(port: port), clock: clock) { line in
            _ = try await Self.delays(2, clock: clock, line: line)
            try await terminal.start(port: port)
            // The attempt under way may have been refused before the terminal came up: step the
            // clock through any further back-off until the line connects.
            while !line.health.isConnected {
                try await eventually("connected or backing off") { line.health.isConnected || !clock.sleepers.isEmpty }
                if let next = clock.sleepers.first { clock.advance(to: next) }
            }
            #expect(try await line.send(.read(Meters.one, Items.total)).address == Meters.one)
        }
        await terminal.stop()
    }
}
