import DLT645
import Testing

@testable import DLT645NIO

/// The line's logic without sockets or clocks.
@Suite struct LineStateMachineTests {
    typealias Action = LineStateMachine.Action

    static let timeout = Duration.seconds(2)

    var machine = LineStateMachine(backoff: Backoff(initial: .seconds(1), maximum: .seconds(8), jitter: 0),
                                   quietPeriod: .milliseconds(500), random: { 0 })
    var lastID: UInt64 = 0

    /// A started machine with connection 1 up.
    static func connected() -> LineStateMachineTests {
        var t = LineStateMachineTests()
        #expect(t.machine.start() == [.connect(generation: 1)])
        #expect(t.machine.connectSucceeded(1, now: .zero) == [])
        return t
    }

    mutating func enqueue(_ request: Request, _ priority: LinePriority? = nil, at now: Duration = .zero) -> (RequestID, [Action]) {
        lastID += 1
        let id = RequestID(rawValue: lastID)
        return (id, machine.enqueue(id, request, priority: priority ?? LinePriority(for: request), timeout: Self.timeout, now: now))
    }

    mutating func receive(_ reply: Reply, at now: Duration = .zero) -> [Action] {
        machine.received(.frame(reply.frame), generation: 1, now: now)
    }

    static func read(_ address: MeterAddress, _ di: DataIdentifier = Items.total) -> Request { .read(address, di) }

    @Test func controlGoesAheadOfQueuedReadsAndTheWireIsNeverPreempted() throws {
        var t = Self.connected()
        let (a, writeA) = t.enqueue(Self.read(Meters.one))
        #expect(writeA == [.write(Self.read(Meters.one).frame, a, generation: 1)])
        let (b, none1) = t.enqueue(Self.read(Meters.two))
        let (c, none2) = t.enqueue(Self.read(Meters.three))
        let control = try trip(Meters.two)
        let (d, none3) = t.enqueue(control)
        #expect(none1.isEmpty && none2.isEmpty && none3.isEmpty)

        let replyA = normalReply(to: Self.read(Meters.one))
        #expect(t.receive(replyA) == [.succeed(a, replyA), .write(control.frame, d, generation: 1)])
        let ackD = Reply.acknowledged(Meters.two, .remoteControl)
        #expect(t.receive(ackD) == [.succeed(d, ackD), .write(Self.read(Meters.two).frame, b, generation: 1)])
        let replyB = normalReply(to: Self.read(Meters.two))
        #expect(t.receive(replyB) == [.succeed(b, replyB), .write(Self.read(Meters.three).frame, c, generation: 1)])
    }

    @Test func foreignAddressesEchoesAndDecodeErrorsAreIgnoredAndCounted() {
        var t = Self.connected()
        let (a, _) = t.enqueue(Self.read(Meters.one))
        #expect(t.receive(normalReply(to: Self.read(Meters.stranger))).isEmpty)
        #expect(t.machine.received(.frame(Self.read(Meters.one).frame), generation: 1, now: .zero).isEmpty)
        #expect(t.machine.received(.error(.badChecksum(expected: 1, found: 2)), generation: 1, now: .zero).isEmpty)
        // A reply of the right meter for another item (a late answer to an earlier read).
        #expect(t.receive(normalReply(to: Self.read(Meters.one, Items.remaining))).isEmpty)
        // Events of an old connection.
        #expect(t.machine.received(.frame(normalReply(to: Self.read(Meters.one)).frame), generation: 7, now: .zero).isEmpty)
        let reply = normalReply(to: Self.read(Meters.one))
        #expect(t.receive(reply) == [.succeed(a, reply)])
        #expect(t.machine.counters.ignoredFrames == 3)
        #expect(t.machine.counters.decodeErrors == 1)
        #expect(t.machine.counters.replies == 1)
    }

    @Test func abnormalAndMalformedReplies() {
        var t = Self.connected()
        let (a, _) = t.enqueue(Self.read(Meters.one))
        #expect(t.receive(.abnormal(Meters.one, .read, ErrorWord(0x02))).first == .fail(a, .abnormalReply(.read, ErrorWord(0x02))))
        let (b, _) = t.enqueue(Self.read(Meters.one))
        let short = Frame(address: Meters.one, control: .reply(.read), data: [1, 2])
        let outcome = t.machine.received(.frame(short), generation: 1, now: .zero)
        #expect(outcome == [.fail(b, .malformedReply(.unexpectedDataLength(function: 0x91, length: 2, expected: "at least 4")))])
        #expect(t.machine.health(now: .seconds(3)).sinceLastSuccess == .seconds(3))
    }

    @Test func timeoutThenQuietPeriodThenNextRequest() {
        var t = Self.connected()
        let (a, _) = t.enqueue(Self.read(Meters.one))
        let (b, queued) = t.enqueue(Self.read(Meters.two), at: .seconds(1))
        #expect(queued.isEmpty)
        #expect(t.machine.nextDeadline == Self.timeout)
        #expect(t.machine.tick(now: .seconds(1)).isEmpty)
        #expect(t.machine.tick(now: Self.timeout) == [.fail(a, .timeout(Self.timeout))])
        // The late reply to the timed-out read drains during the quiet period.
        #expect(t.receive(normalReply(to: Self.read(Meters.one)), at: Self.timeout + .milliseconds(100)).isEmpty)
        #expect(t.machine.nextDeadline == Self.timeout + .milliseconds(500))
        let resumed = t.machine.tick(now: Self.timeout + .milliseconds(500))
        #expect(resumed == [.write(Self.read(Meters.two).frame, b, generation: 1)])
        let health = t.machine.health(now: .seconds(3))
        #expect(health.counters.timeouts == 1)
        #expect(health.counters.ignoredFrames == 1)
        #expect(health.consecutiveFailures == 1)
        #expect(health.counters.sent == 2)
    }

    @Test func connectionLossFailsTheWireRequestAndQueuedOnesWaitForReconnection() {
        var t = Self.connected()
        let (a, _) = t.enqueue(Self.read(Meters.one))
        let (b, _) = t.enqueue(Self.read(Meters.two))
        #expect(t.machine.connectionLost(1, now: .seconds(1)) == [.fail(a, .connectionLost)])
        #expect(!t.machine.isConnected)
        // Back-off after a loss: the initial delay.
        #expect(t.machine.nextDeadline == .seconds(2))
        #expect(t.machine.tick(now: .seconds(2)) == [.connect(generation: 2)])
        #expect(t.machine.connectFailed(2, reason: "refused", now: .seconds(2)).isEmpty)
        // Request b gives up at 1 s + its timeout, before the next attempt (one failure doubles
        // the delay: 2 s + 2 s).
        #expect(t.machine.nextDeadline == .seconds(3))
        #expect(t.machine.tick(now: .seconds(3)) == [.fail(b, .cannotConnect(reason: "refused"))])
        let (c, _) = t.enqueue(Self.read(Meters.three), at: .seconds(3))
        #expect(t.machine.nextDeadline == .seconds(4))
        #expect(t.machine.tick(now: .seconds(4)) == [.connect(generation: 3)])
        #expect(t.machine.connectSucceeded(3, now: .seconds(4)) == [.write(Self.read(Meters.three).frame, c, generation: 3)])
        let health = t.machine.health(now: .seconds(4))
        #expect(health.counters.connects == 2)
        #expect(health.counters.connectFailures == 1)
        #expect(health.counters.connectionsLost == 1)
        #expect(health.consecutiveFailures == 2)
    }

    @Test func backoffDoublesUpToTheMaximumAndResetsOnConnect() {
        var t = LineStateMachineTests()
        _ = t.machine.start()
        var now = Duration.zero
        var delays: [Duration] = []
        for g in 1...6 {
            _ = t.machine.connectFailed(g, reason: "refused", now: now)
            let next = t.machine.nextDeadline ?? .zero
            delays.append(next - now)
            now = next
            #expect(t.machine.tick(now: now) == [.connect(generation: g + 1)])
        }
        #expect(delays == [2, 4, 8, 8, 8, 8].map { Duration.seconds($0) })
        _ = t.machine.connectSucceeded(7, now: now)
        _ = t.machine.connectionLost(7, now: now)
        #expect(t.machine.nextDeadline == now + .seconds(1))
    }

    @Test func backoffJitterOnlyShortens() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.5)
        #expect(backoff.delay(afterFailures: 0, random: 0) == .milliseconds(100))
        #expect(backoff.delay(afterFailures: 2, random: 0.5) == .milliseconds(300))
        #expect(backoff.delay(afterFailures: 60, random: 0) == .seconds(1))
        #expect(backoff.delay(afterFailures: 60, random: 1) == .milliseconds(500))
    }

    @Test func cancellationLeavesTheQueueButNotTheWire() {
        var t = Self.connected()
        let (a, _) = t.enqueue(Self.read(Meters.one))
        let (b, _) = t.enqueue(Self.read(Meters.two))
        let (c, _) = t.enqueue(Self.read(Meters.three))
        #expect(t.machine.cancel(b) == [.fail(b, .cancelled)])
        #expect(t.machine.cancel(b).isEmpty)
        #expect(t.machine.cancel(a) == [.fail(a, .cancelled)])
        // a still holds the bus until its reply comes.
        let reply = normalReply(to: Self.read(Meters.one))
        #expect(t.receive(reply) == [.succeed(a, reply), .write(Self.read(Meters.three).frame, c, generation: 1)])
    }

    @Test func broadcastCompletesWhenWritten() throws {
        var t = Self.connected()
        let sync = Request.broadcastTime(try MeterDateTime(year: 2030, month: 1, day: 1, hour: 0, minute: 0, second: 0))
        let (a, write) = t.enqueue(sync)
        #expect(write == [.write(sync.frame, a, generation: 1)])
        #expect(t.machine.written(a, generation: 1, success: true, now: .zero) == [.succeed(a, .acknowledged(.broadcast, .broadcastTime))])
    }

    @Test func failedWriteClosesTheConnection() {
        var t = Self.connected()
        let (a, _) = t.enqueue(Self.read(Meters.one))
        #expect(t.machine.written(a, generation: 1, success: false, now: .zero) == [.close(generation: 1)])
    }

    @Test func shutdownFailsEverythingAndRefusesNewRequests() {
        var t = Self.connected()
        let (a, _) = t.enqueue(Self.read(Meters.one))
        let (b, _) = t.enqueue(Self.read(Meters.two))
        #expect(t.machine.shutdown() == [.close(generation: 1), .fail(a, .shutdown), .fail(b, .shutdown)])
        let (c, refused) = t.enqueue(Self.read(Meters.three))
        #expect(refused == [.fail(c, .shutdown)])
        #expect(t.machine.nextDeadline == nil)
    }

    @Test func requestsBeforeTheFirstConnectionWaitUpToTheirTimeout() {
        var t = LineStateMachineTests()
        _ = t.machine.start()
        let (a, _) = t.enqueue(Self.read(Meters.one))
        #expect(t.machine.nextDeadline == Self.timeout)
        #expect(t.machine.tick(now: Self.timeout) == [.fail(a, .timeout(Self.timeout))])
    }

    /// A follow-up read is answered by a 92H frame carrying DI, value and SEQ.
    @Test func followUpReadIsAnsweredBy92H() {
        var t = Self.connected()
        let request = Request.readFollowUp(Meters.one, Items.total, sequence: 1)
        let (a, _) = t.enqueue(request)
        let frame = Frame(address: Meters.one, control: .reply(.readFollowUp), data: Items.total.wireBytes + [0x26, 0, 0, 0, 1])
        let reply = Reply.followUpData(Meters.one, Items.total, value: [0x26, 0, 0, 0], sequence: 1, followUp: false)
        #expect(t.machine.received(.frame(frame), generation: 1, now: .zero) == [.succeed(a, reply)])
    }
}
