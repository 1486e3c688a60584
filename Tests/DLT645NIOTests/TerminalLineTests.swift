import DLT645
import DLT645NIO
import Testing

/// A `TerminalLine` against a fake terminal on 127.0.0.1.
@Suite struct TerminalLineTests {
    @Test func readsAndControlsGetTheirReplies() async throws {
        try await withTerminalLine { terminal, line in
            terminal.set(Meters.one, meter())
            let reply = try await line.send(.read(Meters.one, Items.total))
            #expect(reply == .data(Meters.one, Items.total, value: [0x26, 0, 0, 0], followUp: false))
            let ack = try await line.send(try trip(Meters.one))
            #expect(ack == .acknowledged(Meters.one, .remoteControl))
            let health = line.health
            #expect(health.isConnected)
            #expect(health.counters.sent == 2)
            #expect(health.counters.replies == 2)
            #expect(health.sinceLastSuccess != nil)
        }
    }

    @Test func oneOutstandingRequestAtATime() async throws {
        try await withTerminalLine { terminal, line in
            for meterAddress in [Meters.one, Meters.two, Meters.three] {
                terminal.set(meterAddress, meter(delay: .milliseconds(5)))
            }
            let requests = (0..<30).map { i in
                Request.read([Meters.one, Meters.two, Meters.three][i % 3], i % 2 == 0 ? Items.total : Items.remaining)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for request in requests {
                    group.addTask {
                        let reply = try await line.send(request)
                        #expect(reply == normalReply(to: request))
                    }
                }
                try await group.waitForAll()
            }
            #expect(terminal.received.count == requests.count)
            #expect(terminal.violations.isEmpty)
        }
    }

    @Test func queuedControlGoesAheadOfQueuedReads() async throws {
        try await withTerminalLine { terminal, line in
            let gate = Gate()
            terminal.set(Meters.one) { request in [.gate(gate), .reply(normalReply(to: request))] }
            terminal.set(Meters.two, meter())
            let reads = [Items.total, Items.remaining, Items.status].map { Request.read(Meters.two, $0) }
            let control = try trip(Meters.two)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await line.send(.read(Meters.one, Items.total)) }
                try await eventually("first read on the wire") { terminal.received.count == 1 }
                for (i, read) in reads.enumerated() {
                    group.addTask { _ = try await line.send(read) }
                    try await eventually("read \(i) queued") { line.health.queued == i + 1 }
                }
                group.addTask { _ = try await line.send(control) }
                try await eventually("control queued") { line.health.queued == reads.count + 1 }
                gate.open()
                try await group.waitForAll()
            }
            #expect(terminal.received == [.read(Meters.one, Items.total), control] + reads)
            #expect(terminal.violations.isEmpty)
        }
    }

    @Test func silentMeterTimesOut() async throws {
        try await withTerminalLine { terminal, line in
            terminal.set(Meters.one, meter())
            let error = await lineError { () async throws(TerminalLineError) -> Reply in
                try await line.send(.read(Meters.three, Items.total), timeout: .milliseconds(200))
            }
            #expect(error == .timeout(.milliseconds(200)))
            #expect(line.health.counters.timeouts == 1)
            #expect(line.health.consecutiveFailures == 1)
            // The line goes on serving.
            _ = try await line.send(.read(Meters.one, Items.total))
            #expect(line.health.consecutiveFailures == 0)
        }
    }

    /// The timer loop sleeps until the deadline it armed and is woken only for an earlier one
    /// (issue 7): a short timeout that starts while it sleeps on a long one must still fire on
    /// time, not when the long one would have.
    @Test func shortTimeoutBehindALongOneFiresOnTime() async throws {
        try await withTerminalLine { terminal, line in
            terminal.set(Meters.one, meter(delay: .milliseconds(300)))
            let clock = ContinuousClock()
            let started = clock.now
            async let slow = line.send(.read(Meters.one, Items.total), timeout: .seconds(30))
            try await eventually("the slow read on the wire") { terminal.received.count == 1 }
            // Queued behind the slow read; its 200 ms start when that one is answered.
            let error = await lineError { () async throws(TerminalLineError) -> Reply in
                try await line.send(.read(Meters.three, Items.total), timeout: .milliseconds(200))
            }
            let elapsed = clock.now - started
            #expect(error == .timeout(.milliseconds(200)))
            // 0.5 s when woken for the earlier deadline; 30 s if the loop slept on the first one.
            #expect(elapsed < .seconds(15), "the short timeout fired after \(elapsed)")
            _ = try await slow
        }
    }

    @Test func abnormalReplyThrowsItsErrorWord() async throws {
        try await withTerminalLine { terminal, line in
            terminal.set(Meters.one) { request in [.reply(.abnormal(Meters.one, request.function, ErrorWord(0x04)))] }
            terminal.set(Meters.two) { request in [.reply(.abnormal(Meters.two, request.function, ErrorWord(esam: 0x0020)))] }
            let tripOne = try trip(Meters.one), tripTwo = try trip(Meters.two)
            let refused = await lineError { () async throws(TerminalLineError) -> Reply in try await line.send(tripOne) }
            #expect(refused == .abnormalReply(.remoteControl, ErrorWord(0x04)))
            let keepPower = await lineError { () async throws(TerminalLineError) -> Reply in try await line.send(tripTwo) }
            #expect(keepPower == .abnormalReply(.remoteControl, ErrorWord(esam: 0x0020)))
        }
    }

    @Test func malformedReplyIsNamed() async throws {
        try await withTerminalLine { terminal, line in
            terminal.set(Meters.one) { _ in [.frame(Frame(address: Meters.one, control: .reply(.read), data: [1, 2]))] }
            let error = await lineError { () async throws(TerminalLineError) -> Reply in try await line.send(.read(Meters.one, Items.total)) }
            #expect(error == .malformedReply(.unexpectedDataLength(function: 0x91, length: 2, expected: "at least 4")))
        }
    }

    @Test func foreignAddressRepliesAndNoiseAreIgnored() async throws {
        try await withTerminalLine { terminal, line in
            terminal.set(Meters.one) { request in
                [
                    .reply(normalReply(to: .read(Meters.stranger, Items.total))),
                    .bytes([0xFE, 0x68, 0x00, 0x11, 0x16]),
                    .wait(.milliseconds(20)),
                    .reply(normalReply(to: request)),
                ]
            }
            let reply = try await line.send(.read(Meters.one, Items.total))
            #expect(reply.address == Meters.one)
            #expect(line.health.counters.ignoredFrames == 1)
        }
    }

    /// A reply that comes after its request timed out is not taken as the next request's answer.
    ///
    /// Gates hold the replies, so nothing races the clock: the first reply is let go only after
    /// its request timed out and while the second request waits for its own (with a real
    /// 200 ms timeout against a reply 1 s late, a busy CI machine once let the reply win).
    @Test func lateReplyToATimedOutReadIsNotGivenToTheNextRead() async throws {
        try await withTerminalLine { terminal, line in
            let calls = Shared(0)
            let (late, second) = (Gate(), Gate())
            terminal.set(Meters.one) { request in
                let n = calls.update { n in
                    n += 1
                    return n
                }
                return [.gate(n == 1 ? late : second), .reply(normalReply(to: request, value: [0x11, 0, 0, 0]))]
            }
            let error = await lineError { () async throws(TerminalLineError) -> Reply in
                try await line.send(.read(Meters.one, Items.total), timeout: .milliseconds(200))
            }
            #expect(error == .timeout(.milliseconds(200)))
            async let next = line.send(.read(Meters.one, Items.remaining))
            try await eventually("the second read on the wire") { terminal.received.count == 2 }
            late.open()
            try await eventually("the late reply dropped") { line.health.counters.ignoredFrames == 1 }
            second.open()
            let reply = try await next
            #expect(reply == .data(Meters.one, Items.remaining, value: [0x11, 0, 0, 0], followUp: false))
            #expect(line.health.counters.ignoredFrames == 1)
        }
    }

    /// Same meter, same item: the quiet period after a timeout lets the late reply drain. The
    /// late reply is held by a gate and released after the timeout, so nothing depends on how
    /// fast the machine is; the second read goes out only once the late reply has been dropped.
    @Test func quietPeriodDrainsALateReplyToTheSameItem() async throws {
        try await withTerminalLine(quietPeriod: .seconds(2)) { terminal, line in
            let calls = Shared(0)
            let late = Gate()
            terminal.set(Meters.one) { request in
                let n = calls.update { n in
                    n += 1
                    return n
                }
                return n == 1
                    ? [.gate(late), .reply(normalReply(to: request, value: [0x01, 0, 0, 0]))]
                    : [.reply(normalReply(to: request, value: [0x02, 0, 0, 0]))]
            }
            let error = await lineError { () async throws(TerminalLineError) -> Reply in
                try await line.send(.read(Meters.one, Items.total), timeout: .milliseconds(200))
            }
            #expect(error == .timeout(.milliseconds(200)))
            late.open()
            try await eventually("late reply dropped") { line.health.counters.ignoredFrames == 1 }
            let reply = try await line.send(.read(Meters.one, Items.total))
            #expect(reply == .data(Meters.one, Items.total, value: [0x02, 0, 0, 0], followUp: false))
        }
    }

    @Test func broadcastCompletesWhenWritten() async throws {
        try await withTerminalLine { terminal, line in
            let sync = Request.broadcastTime(try MeterDateTime(year: 2030, month: 1, day: 1, hour: 0, minute: 0, second: 0))
            #expect(try await line.send(sync) == .acknowledged(.broadcast, .broadcastTime))
            try await eventually("broadcast received") { terminal.received == [sync] }
        }
    }

    @Test func cancelledCallerLeavesTheQueue() async throws {
        try await withTerminalLine { terminal, line in
            let gate = Gate()
            terminal.set(Meters.one) { request in [.gate(gate), .reply(normalReply(to: request))] }
            terminal.set(Meters.two, meter())
            async let first = line.send(.read(Meters.one, Items.total))
            try await eventually("first read on the wire") { terminal.received.count == 1 }
            let queued = Task { try await line.send(.read(Meters.two, Items.total)) }
            try await eventually("second read queued") { line.health.queued == 1 }
            queued.cancel()
            let outcome = await queued.result
            #expect(throws: TerminalLineError.cancelled) { try outcome.get() }
            #expect(line.health.queued == 0)
            gate.open()
            _ = try await first
            _ = try await line.send(.read(Meters.one, Items.remaining))
            #expect(terminal.received == [.read(Meters.one, Items.total), .read(Meters.one, Items.remaining)])
        }
    }

    @Test func connectionLostWhileOnTheWire() async throws {
        try await withTerminalLine { terminal, line in
            terminal.set(Meters.one) { _ in [.close] }
            terminal.set(Meters.two, meter())
            let error = await lineError { () async throws(TerminalLineError) -> Reply in try await line.send(.read(Meters.one, Items.total)) }
            #expect(error == .connectionLost)
            // Queued for the reconnection.
            _ = try await line.send(.read(Meters.two, Items.total))
            #expect(line.health.counters.connectionsLost == 1)
            #expect(line.health.counters.connects == 2)
        }
    }

    @Test func reconnectsAfterTheTerminalDropsTheConnection() async throws {
        try await withTerminalLine { terminal, line in
            terminal.set(Meters.one, meter())
            _ = try await line.send(.read(Meters.one, Items.total))
            await terminal.dropConnections()
            try await eventually("loss noticed") { line.health.counters.connectionsLost == 1 }
            _ = try await line.send(.read(Meters.one, Items.total))
            #expect(terminal.connectionCount == 2)
        }
    }

    @Test func reconnectsAfterTheTerminalRestartsOnTheSamePort() async throws {
        try await withTerminal { terminal, port in
            terminal.set(Meters.one, meter())
            try await withLine(testConfiguration(port: port)) { line in
                _ = try await line.send(.read(Meters.one, Items.total))
                await terminal.stop()
                try await eventually("loss noticed") { !line.health.isConnected }
                try await eventually("a reconnection refused") { line.health.counters.connectFailures >= 1 }
                try await terminal.start(port: port)
                _ = try await line.send(.read(Meters.one, Items.total))
                #expect(line.health.isConnected)
            }
        }
    }

    @Test func shutdownFailsWaitingRequestsAndEndsRun() async throws {
        try await withTerminal { terminal, port in
            let line = TerminalLine(configuration: testConfiguration(port: port))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await line.run() }
                // Meter three is silent: the first read holds the bus, the second waits.
                let outcomes = Shared<[TerminalLineError?]>([])
                for item in [Items.total, Items.remaining] {
                    group.addTask {
                        let error = await lineError { () async throws(TerminalLineError) -> Reply in try await line.send(.read(Meters.three, item)) }
                        outcomes.update { $0.append(error) }
                    }
                }
                try await eventually("one on the wire, one queued") { terminal.received.count == 1 && line.health.queued == 1 }
                line.shutdown()
                try await group.waitForAll()
                #expect(outcomes.value == [.shutdown, .shutdown])
            }
            let late = await lineError { () async throws(TerminalLineError) -> Reply in try await line.send(.read(Meters.one, Items.total)) }
            #expect(late == .shutdown)
        }
    }

    @Test func cancellingRunFailsWaitingRequestsWithShutdown() async throws {
        try await withTerminal { terminal, port in
            let line = TerminalLine(configuration: testConfiguration(port: port))
            let running = Task { await line.run() }
            async let waiting = lineError { () async throws(TerminalLineError) -> Reply in
                try await line.send(.read(Meters.three, Items.total))
            }
            try await eventually("request on the wire") { terminal.received.count == 1 }
            running.cancel()
            await running.value
            #expect(await waiting == .shutdown)
            #expect(!line.health.isConnected || line.health.counters.connects == 1)
        }
    }
}
