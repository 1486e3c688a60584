import NIOCore
import Testing
@testable import Station

/// The API connection guard's pure decisions (issue 17): which connection is evicted for a new
/// one, when a new one is refused, which deadline a connection has, and when the log writes.
/// Instants are made up (`t(seconds)`); nothing sleeps.
@Suite("API connection gate")
struct APIConnectionGateTests {
    let idle = TimeAmount.seconds(10)
    let body = TimeAmount.seconds(30)

    /// An instant `seconds` after an arbitrary origin.
    func t(_ seconds: Double) -> NIODeadline {
        .uptimeNanoseconds(1_000_000_000_000 + UInt64(seconds * 1e9))
    }

    // MARK: admission and eviction

    @Test func belowTheCapEveryConnectionIsAdmitted() {
        var table = APIConnectionTable()
        for id in 0..<3 {
            #expect(table.admit(UInt64(id), cap: 3) == .init(admitted: true, evicted: []))
        }
        #expect(table.count == 3)
    }

    @Test func atTheCapTheLongestIdleMakesRoom() {
        var table = APIConnectionTable()
        for id in 0..<3 { _ = table.admit(UInt64(id), cap: 3) }
        // 0 starts a request and finishes it: idle again, now the most recently idle.
        table.update(0, idle: false)
        table.update(0, idle: true)
        #expect(table.admit(3, cap: 3) == .init(admitted: true, evicted: [1]))
        #expect(table.admit(4, cap: 3) == .init(admitted: true, evicted: [2]))
        #expect(table.admit(5, cap: 3) == .init(admitted: true, evicted: [0]))
        #expect(table.count == 3)
        #expect(!table.contains(0) && !table.contains(1) && !table.contains(2))
    }

    @Test func aConnectionWithARequestUnderWayIsNeverEvicted() {
        var table = APIConnectionTable()
        for id in 0..<3 { _ = table.admit(UInt64(id), cap: 3) }
        table.update(0, idle: false)
        table.update(2, idle: false)
        #expect(table.admit(3, cap: 3) == .init(admitted: true, evicted: [1]))
        // 3 is idle (it has not sent a head yet): the next newcomer takes its place.
        #expect(table.admit(4, cap: 3) == .init(admitted: true, evicted: [3]))
        table.update(4, idle: false)
        // Every connection busy: the newcomer is refused and nothing is evicted.
        #expect(table.admit(5, cap: 3) == .init(admitted: false, evicted: []))
        #expect(table.count == 3 && !table.contains(5))
        // One of them finishes: it can be evicted again.
        table.update(2, idle: true)
        #expect(table.admit(6, cap: 3) == .init(admitted: true, evicted: [2]))
    }

    @Test func aClosedConnectionFreesItsPlace() {
        var table = APIConnectionTable()
        for id in 0..<2 { _ = table.admit(UInt64(id), cap: 2) }
        table.update(0, idle: false)
        table.update(1, idle: false)
        table.remove(1)
        #expect(table.admit(2, cap: 2) == .init(admitted: true, evicted: []))
        // Reports about connections no longer there change nothing.
        table.update(1, idle: true)
        #expect(table.count == 2 && !table.contains(1))
    }

    @Test func aShrunkenCapEvictsUntilThereIsRoom() {
        var table = APIConnectionTable()
        for id in 0..<6 { _ = table.admit(UInt64(id), cap: 6) }
        table.update(1, idle: false)
        // Terminals were added: the cap fell to 3; four idle ones go so the newcomer fits.
        #expect(table.admit(6, cap: 3) == .init(admitted: true, evicted: [0, 2, 3, 4]))
        #expect(table.count == 3)
        // Cap 1 with a busy connection: the idle ones go, and still no room.
        #expect(table.admit(7, cap: 1) == .init(admitted: false, evicted: [5, 6]))
        #expect(table.count == 1 && table.contains(1))
        // A cap below 1 counts as 1.
        table.remove(1)
        #expect(table.admit(8, cap: 0) == .init(admitted: true, evicted: []))
    }

    /// Many request cycles leave stale entries in the idle queue; the choice stays right.
    @Test func theOrderSurvivesManyRequestCycles() {
        var table = APIConnectionTable()
        for id in 0..<4 { _ = table.admit(UInt64(id), cap: 4) }
        for round in 0..<1000 {
            let id = UInt64(1 + round % 3)
            table.update(id, idle: false)
            table.update(id, idle: true)
        }
        // 0 never had a request: idle the longest. Then 2, 3, 1: the order the last rounds ended in.
        #expect(table.admit(4, cap: 4).evicted == [0])
        #expect(table.admit(5, cap: 4).evicted == [2])
        #expect(table.admit(6, cap: 4).evicted == [3])
        #expect(table.admit(7, cap: 4).evicted == [1])
    }

    // MARK: a connection's deadlines

    @Test func anIdleConnectionHasTheIdleTimeoutFromWhenItOpened() {
        let phase = APIConnectionPhase(openedAt: t(0))
        #expect(phase.isIdle)
        #expect(phase.deadline(idleTimeout: idle, bodyTimeout: body)?.at == t(10))
        #expect(phase.expired(at: t(9.999), idleTimeout: idle, bodyTimeout: body) == nil)
        #expect(phase.expired(at: t(10), idleTimeout: idle, bodyTimeout: body) == .idleTimeout)
    }

    @Test func aRequestCycleMovesTheDeadline() {
        var phase = APIConnectionPhase(openedAt: t(0))
        phase.requestHead(at: t(4))
        #expect(!phase.isIdle)
        #expect(phase.deadline(idleTimeout: idle, bodyTimeout: body)! == (t(34), .bodyTimeout))
        #expect(phase.expired(at: t(20), idleTimeout: idle, bodyTimeout: body) == nil, "the idle deadline is gone")
        phase.requestEnd(at: t(6))
        // The station is working on it: no timer, however long.
        #expect(phase.deadline(idleTimeout: idle, bodyTimeout: body) == nil)
        #expect(phase.expired(at: t(600), idleTimeout: idle, bodyTimeout: body) == nil)
        #expect(!phase.isIdle)
        phase.responseEnd(at: t(700))
        #expect(phase.isIdle)
        #expect(phase.deadline(idleTimeout: idle, bodyTimeout: body)! == (t(710), .idleTimeout))
    }

    @Test func aSlowBodyIsCutEvenAfterAnEarlyAnswer() {
        var phase = APIConnectionPhase(openedAt: t(0))
        phase.requestHead(at: t(1))
        // A 401 goes out before the body arrived; the body must still end in time.
        phase.responseEnd(at: t(1.1))
        #expect(!phase.isIdle)
        #expect(phase.expired(at: t(30.9), idleTimeout: idle, bodyTimeout: body) == nil)
        #expect(phase.expired(at: t(31), idleTimeout: idle, bodyTimeout: body) == .bodyTimeout)
        phase.requestEnd(at: t(5))
        #expect(phase.isIdle)
        #expect(phase.deadline(idleTimeout: idle, bodyTimeout: body)! == (t(15), .idleTimeout))
    }

    @Test func pipelinedRequestsKeepItBusyUntilTheLastResponse() {
        var phase = APIConnectionPhase(openedAt: t(0))
        phase.requestHead(at: t(1))
        phase.requestEnd(at: t(1))
        phase.requestHead(at: t(2))
        phase.requestEnd(at: t(2))
        phase.responseEnd(at: t(3))
        #expect(!phase.isIdle)
        #expect(phase.deadline(idleTimeout: idle, bodyTimeout: body) == nil)
        phase.responseEnd(at: t(4))
        #expect(phase.deadline(idleTimeout: idle, bodyTimeout: body)! == (t(14), .idleTimeout))
    }

    // MARK: the rate-limited log

    @Test func theLogWritesAtMostOneLineAnIntervalWithTheCountsSince() {
        var book = APIRefusalLogBook(interval: .seconds(5))
        #expect(book.record(.evicted, at: t(0)) == .write([.evicted: 1]))
        #expect(book.record(.evicted, at: t(0.1)) == .flushAt(t(5)))
        for i in 0..<300 {
            #expect(book.record(i % 2 == 0 ? .evicted : .idleTimeout, at: t(1 + Double(i) / 100)) == APIRefusalLogBook.Action.none)
        }
        #expect(book.record(.cap, at: t(4.9)) == APIRefusalLogBook.Action.none)
        #expect(book.flush(at: t(5)) == [.evicted: 151, .idleTimeout: 150, .cap: 1])
        #expect(book.flush(at: t(6)) == nil, "nothing new")
        // Within the interval of that flushed line: held again, one flush asked for.
        #expect(book.record(.bodyTimeout, at: t(7)) == .flushAt(t(10)))
        #expect(book.flush(at: t(10)) == [.bodyTimeout: 1])
        // After a quiet spell the first one is written at once.
        #expect(book.record(.cap, at: t(60)) == .write([.cap: 1]))
    }

    @Test func theLogLineNamesEachReasonAndTheFigures() {
        let text = "\(APIRefusalLogBook.message([.evicted: 210, .idleTimeout: 3], open: 190, cap: 190, idleTimeout: idle, bodyTimeout: .milliseconds(1500)))"
        #expect(text.contains("210 evicted"))
        #expect(text.contains("3 idle_timeout (no complete request head within 10s)"))
        #expect(!text.contains("body_timeout") && !text.contains("refused at the cap"))
        #expect(text.hasSuffix("190 open, cap 190"))
        #expect(APIConnectionRefusal.bodyTimeout.explanation(idleTimeout: idle, bodyTimeout: .milliseconds(1500)).contains("1500ms"))
    }

    // MARK: the descriptor budget

    @Test func theCapLeavesTheReserveAndTheTerminals() {
        let budget = DescriptorBudget(softLimit: 256, hardLimit: 256)
        #expect(budget.apiCap(configured: 512, terminals: 2) == 256 - DescriptorBudget.fixedReserve - 2)
        #expect(budget.apiCap(configured: 100, terminals: 2) == 100)
        #expect(DescriptorBudget(softLimit: 65536, hardLimit: 65536).apiCap(configured: 512, terminals: 5000) == 512)
        // A limit too low for the terminals still lets a few payments in.
        #expect(DescriptorBudget(softLimit: 80, hardLimit: 80).apiCap(configured: 512, terminals: 40) == DescriptorBudget.minimumCap)
    }
}
