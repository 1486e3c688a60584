import ChargeControl
import DLT645
import DLT645NIO
import Foundation
import Store
import Synchronization
import Tariffs
import Testing
@testable import Station

@Suite("Collection schedule: slots spread over the interval")
struct CollectScheduleTests {
    let schedule = CollectionSchedule(strategy: ReadingStrategy(interval: .seconds(900)), random: { 0 })

    func address(_ n: Int) -> String { String(format: "%012d", n) }

    @Test func slotsAreDeterministicAndWithinTheInterval() {
        let other = CollectionSchedule(strategy: ReadingStrategy(interval: .seconds(900)), random: { 0.7 })
        for n in 1...1000 {
            let offset = schedule.offsetMillis(of: address(n))
            #expect((0..<900_000).contains(offset))
            #expect(other.offsetMillis(of: address(n)) == offset)
        }
        // Fixed across processes (no seeded hashing): a known value stays put.
        #expect(schedule.offsetMillis(of: "000000000001") == CollectionSchedule(strategy: .standard).offsetMillis(of: "000000000001"))
    }

    @Test func consecutiveAddressesSpreadEvenly() {
        var buckets = [Int](repeating: 0, count: 15)
        let meters = 15_000
        for n in 1...meters {
            buckets[Int(schedule.offsetMillis(of: address(n)) / 60_000)] += 1
        }
        // Each minute of the 15 gets about 1000 meters.
        #expect(buckets.allSatisfy { (850...1150).contains($0) }, "\(buckets)")
    }

    @Test func nextDueIsTheNextSlotStrictlyAfter() {
        let start = instant("2026-11-23T09:00:00+08:00")
        for n in 1...200 {
            let meter = address(n)
            let due = schedule.nextDue(for: meter, after: start)
            #expect(due > start && due <= start.addingTimeInterval(900))
            #expect(Int64((due.timeIntervalSince(start) * 1000).rounded()) % 900_000 == schedule.offsetMillis(of: meter) % 900_000)
            // Read at its slot (or late, within the interval): the next one is one interval on.
            #expect(schedule.nextDue(for: meter, after: due) == due.addingTimeInterval(900))
            #expect(schedule.nextDue(for: meter, after: due.addingTimeInterval(60)) == due.addingTimeInterval(900))
        }
    }

    @Test func aLateReadIsNotFollowedByAReadInTheSameSecond() {
        // A 2 s interval, as under a load test: a read held up until just before the meter's
        // next slot, in the same second as that slot.
        let fast = CollectionSchedule(strategy: ReadingStrategy(interval: .seconds(2)), random: { 0 })
        let start = instant("2026-11-23T09:00:00+08:00")
        var checked = 0
        for n in 1...200 {
            let meter = address(n)
            guard fast.offsetMillis(of: meter) % 1000 >= 100 else { continue }
            let due = fast.nextDue(for: meter, after: start)
            let nextSlot = due.addingTimeInterval(2)
            let collectedAt = nextSlot.addingTimeInterval(-0.05)
            let end = collectedAt.addingTimeInterval(0.01)
            // The slot alone would come 40 ms after the read ended, in the reading's second.
            #expect(fast.nextDue(for: meter, after: end) == nextSlot)
            #expect(nextSlot.unixSeconds == collectedAt.unixSeconds)
            let next = fast.nextDue(for: meter, afterReadDue: due, endedAt: end, collectedAt: collectedAt)
            #expect(next.unixSeconds > collectedAt.unixSeconds)
            #expect(next == nextSlot.addingTimeInterval(2), "the slot after, on the meter's grid")
            // A failed read (no reading) keeps the plain next slot.
            #expect(fast.nextDue(for: meter, afterReadDue: due, endedAt: end, collectedAt: nil) == nextSlot)
            checked += 1
        }
        #expect(checked > 100)
    }

    @Test func jitterDelaysWithinTheJitter() {
        let jittered = CollectionSchedule(strategy: ReadingStrategy(interval: .seconds(900), jitter: .seconds(60)), random: { 0.5 })
        let start = instant("2026-11-23T09:00:00+08:00")
        let meter = "000000000042"
        #expect(jittered.nextDue(for: meter, after: start) == schedule.nextDue(for: meter, after: start).addingTimeInterval(30))
        #expect(ReadingStrategy(interval: .seconds(600)).staleness == .seconds(2400))
    }

    @Test func clockCheckCadence() {
        #expect(MeterReader.clockEvery(interval: .seconds(900)) == 96)
        #expect(MeterReader.clockEvery(interval: .seconds(86_400 * 2)) == 1)
    }

    /// A meter never billed has its clock read at its first read; one read before has its first
    /// check after a start at its own place in the period, so a start does not read every clock.
    @Test func firstClockChecksAfterAStartAreSpreadOverThePeriod() {
        func assignment(_ n: Int, billed: Bool) -> MeterAssignment {
            MeterAssignment(accountID: "A\(n)", meterAddress: address(n), terminalID: "T1", hasAcceptedReading: billed)
        }
        #expect(MeterReader.readsBeforeFirstClockCheck(of: assignment(5, billed: false), every: 96) == 0)
        #expect(MeterReader.readsBeforeFirstClockCheck(of: assignment(5, billed: true), every: 96) == 5)
        #expect(MeterReader.readsBeforeFirstClockCheck(of: assignment(96 + 7, billed: true), every: 96) == 7)
        #expect(MeterReader.readsBeforeFirstClockCheck(of: assignment(5, billed: true), every: 1) == 0)
        // 960 consecutive meters: ten first checks in each of the 96 reads of a day.
        let offsets = (1...960).map { MeterReader.readsBeforeFirstClockCheck(of: assignment($0, billed: true), every: 96) }
        #expect(Dictionary(grouping: offsets, by: { $0 }).mapValues(\.count) == Dictionary(uniqueKeysWithValues: (0..<96).map { ($0, 10) }))
    }
}

@Suite("Meter replies: parsing")
struct CollectReplyParsingTests {
    func energyBytes(_ hundredths: Int64) -> [UInt8] {
        (try? NumberFormat.encodeUnsignedHundredths(hundredths)) ?? []
    }

    @Test func blockOfTotalAndFourTariffs() throws {
        let value = [12_345_678, 100, 200, 12_345_278, 100].flatMap { energyBytes(Int64($0)) }
        let (total, registers) = try MeterReplies.block(value)
        #expect(total == Energy(hundredths: 12_345_678))
        #expect(registers.sharp == Energy(hundredths: 100) && registers.peak == Energy(hundredths: 200))
        #expect(registers.flat == Energy(hundredths: 12_345_278) && registers.valley == Energy(hundredths: 100))
        // More tariffs than four: the first five values are used.
        #expect(try MeterReplies.block(value + energyBytes(7)).total == total)
        #expect(throws: MeterReplies.Problem.self) { try MeterReplies.block(Array(value.prefix(12))) }
        #expect(throws: MeterReplies.Problem.self) { try MeterReplies.block([0xAA] + Array(value.dropFirst())) }
    }

    @Test func singleItem() throws {
        #expect(try MeterReplies.energy([0x56, 0x34, 0x12, 0x00], item: .forwardActiveTotal) == Energy(hundredths: 123_456))
        #expect(throws: MeterReplies.Problem.self) { try MeterReplies.energy([0x56, 0x34, 0x12], item: .forwardActiveTotal) }
    }

    @Test func statusWord3ToMeterState() throws {
        #expect(MeterReplies.meterState([.relayOpen, .relayCommandedOpen]) == MeterState(relay: .open))
        #expect(MeterReplies.meterState([.relayOpen]) == MeterState(relay: .armed))
        #expect(MeterReplies.meterState([.moneyPrepaid]) == MeterState(relay: .closed))
        #expect(MeterReplies.meterState([.relayCommandedOpen]) == MeterState(relay: .closed))
        #expect(MeterReplies.meterState([.preTripAlarm, .keepPower]) == MeterState(relay: .closed, alarm: true, keepPower: true))
        // Wire bytes: bits 0…7 first; 0x50 = bits 4 and 6, 0x10 in the second byte = bit 12.
        #expect(try MeterReplies.meterState([0xD0, 0x12]) == MeterState(relay: .open, alarm: true, keepPower: true))
        #expect(throws: MeterReplies.Problem.self) { try MeterReplies.meterState([0x10]) }
    }

    @Test func meterClock() throws {
        let civil = try MeterDateTime(year: 2026, month: 11, day: 23, hour: 9, minute: 5, second: 8)
        #expect(try MeterReplies.meterDateTime(date: civil.dateWireBytes, time: civil.timeWireBytes) == civil)
        #expect(try MeterReplies.meterTime(date: [0x01, 0x23, 0x11, 0x26], time: [0x08, 0x05, 0x09], in: shanghai)
                == instant("2026-11-23T09:05:08+08:00"))
        #expect(throws: MeterReplies.Problem.self) { try MeterReplies.meterDateTime(date: [0x01, 0x32, 0x11, 0x26], time: [0, 0, 0]) }
        #expect(throws: MeterReplies.Problem.self) { try MeterReplies.meterDateTime(date: [0x01, 0x23, 0x11], time: [0, 0, 0]) }
        #expect(throws: MeterReplies.Problem.self) { try MeterReplies.meterDateTime(date: [0x01, 0x23, 0x11, 0x26], time: [0x0A, 0, 0]) }
        #expect(MeterReplies.dateMayHaveRolled(time: [0x30, 0x02, 0x00]))
        #expect(!MeterReplies.dateMayHaveRolled(time: [0x00, 0x05, 0x00]))
        #expect(!MeterReplies.dateMayHaveRolled(time: [0x59, 0x59, 0x23]))
    }
}

/// A meter behind a fake link: answers from a table, records what was asked.
final class FakeMeterLink: MeterLink, Sendable {
    let values: Mutex<[DataIdentifier: Result<[UInt8], MeterReadError>]>
    let asked = Mutex<[DataIdentifier]>([])

    init(_ values: [DataIdentifier: Result<[UInt8], MeterReadError>]) { self.values = Mutex(values) }

    func read(_ meter: MeterAddress, _ item: DataIdentifier) async throws(MeterReadError) -> [UInt8] {
        asked.withLock { $0.append(item) }
        let answer = values.withLock { $0[item] } ?? .failure(.line(.abnormalReply(.read, ErrorWord(0x02))))
        return try answer.get()
    }

    func takeAsked() -> [DataIdentifier] {
        asked.withLock { asked in
            defer { asked = [] }
            return asked
        }
    }
}

@Suite("Meter reader: block fallback, status word, clock cadence")
struct CollectReaderTests {
    static func energy(_ h: Int64) -> [UInt8] { (try? NumberFormat.encodeUnsignedHundredths(h)) ?? [] }
    let meter = MeterAddress(packed: 0x01)
    let civil = (try? MeterDateTime(year: 2026, month: 11, day: 23, hour: 9, minute: 5, second: 8))!

    func singles() -> [DataIdentifier: Result<[UInt8], MeterReadError>] {
        [.forwardActiveTotal: .success(Self.energy(1000)), .forwardActiveTariff(1): .success(Self.energy(0)),
         .forwardActiveTariff(2): .success(Self.energy(0)), .forwardActiveTariff(3): .success(Self.energy(1000)),
         .forwardActiveTariff(4): .success(Self.energy(0)),
         .statusWord3: .success(StatusWord3([.relayOpen]).wireBytes),
         .date: .success(civil.dateWireBytes), .time: .success(civil.timeWireBytes)]
    }

    @Test func noBlockSupportFallsBackToSingleItemsFromThenOn() async throws {
        let link = FakeMeterLink(singles())
        let clock = ManualStationClock(instant("2026-11-23T09:05:08+08:00"))
        let reader = MeterReader(timeZone: shanghai, clockEvery: 2)
        var memory = MeterReadMemory()
        let first = try await reader.read(meter, memory: &memory, link: link, clock: clock)
        #expect(first.usedSingleItems && !memory.blockReads)
        #expect(first.reading.total == Energy(hundredths: 1000) && first.reading.registers.flat == Energy(hundredths: 1000))
        #expect(first.meter == MeterState(relay: .armed))
        #expect(first.reading.meterTime == clock.now)
        #expect(link.takeAsked() == [.forwardActiveBlock, .forwardActiveTotal, .forwardActiveTariff(1), .forwardActiveTariff(2),
                                     .forwardActiveTariff(3), .forwardActiveTariff(4), .statusWord3, .date, .time])
        // Second read: no block attempt, no clock (every 2nd read).
        let second = try await reader.read(meter, memory: &memory, link: link, clock: clock)
        #expect(second.reading.meterTime == nil)
        #expect(!link.takeAsked().contains(.forwardActiveBlock))
        // Third read: the clock again.
        let third = try await reader.read(meter, memory: &memory, link: link, clock: clock)
        #expect(third.reading.meterTime != nil)
        #expect(link.takeAsked().contains(.date))
    }

    @Test func blockReadAndOptionalItemsFailingSoftly() async throws {
        var values = singles()
        values[.forwardActiveBlock] = .success([1000, 0, 0, 1000, 0].flatMap { Self.energy(Int64($0)) })
        values[.statusWord3] = .failure(.line(.timeout(.seconds(1))))
        values[.time] = .failure(.line(.timeout(.seconds(1))))
        let link = FakeMeterLink(values)
        let clock = ManualStationClock(instant("2026-11-23T09:05:08+08:00"))
        var memory = MeterReadMemory()
        let sample = try await MeterReader(timeZone: shanghai, clockEvery: 96).read(meter, memory: &memory, link: link, clock: clock)
        #expect(!sample.usedSingleItems && memory.blockReads)
        #expect(sample.meter == nil && sample.reading.meterTime == nil && sample.notes.count == 2)
        // The clock failed, so it is tried again next time.
        #expect(memory.readsUntilClock <= 0)
        #expect(link.takeAsked() == [.forwardActiveBlock, .statusWord3, .date, .time])
    }

    @Test func energyFailureFailsTheRead() async throws {
        var values = singles()
        values[.forwardActiveBlock] = .failure(.line(.timeout(.seconds(1))))
        let link = FakeMeterLink(values)
        var memory = MeterReadMemory()
        await #expect(throws: MeterReadError.line(.timeout(.seconds(1)))) {
            _ = try await MeterReader(timeZone: shanghai, clockEvery: 1).read(
                meter, memory: &memory, link: link, clock: ManualStationClock(Date()))
        }
        // A timeout is not "no data": blocks are still tried next time.
        #expect(memory.blockReads)
    }
}
