import ChargeControl
import Foundation
import Tariffs

/// The account book's published accounts, packed (issue 15, p5: a million accounts in memory
/// within the daemon's 1 KiB an account): one fixed-size record in a contiguous array, found by
/// id through one dictionary of slot numbers; names shared by many accounts (terminal, tariff,
/// region, class) stored once; instants as the milliseconds the store keeps; optionals as a
/// value no real one takes. About 200 bytes an account, where a dictionary of `Entry` values
/// took about 900.
struct PackedAccounts: Sendable {
    /// Strings many accounts share, each stored once.
    struct Names: Sendable {
        var strings: [String] = []
        var numbers: [String: UInt32] = [:]

        init() {}

        init(strings: [String]) {
            self.strings = strings
            for (n, s) in strings.enumerated() where numbers[s] == nil { numbers[s] = UInt32(n) }
        }

        mutating func number(_ s: String) -> UInt32 {
            if let n = numbers[s] { return n }
            let n = UInt32(strings.count)
            strings.append(s)
            numbers[s] = n
            return n
        }
    }

    struct Slot: Sendable {
        var meterAddress: String
        var terminal: UInt32
        var tariff: UInt32
        var region: UInt32
        /// `none`: no class.
        var customerClass: UInt32
        var alarm: Int64
        var trip: Int64
        var balance: Int64
        var tierYearStart: Int64
        var tierYearUsed: Int64
        var lastReadingID: Int64
        var lastReadingAt: Int64
        var meterStateAt: Int64
        var alarm2At: Int64
        var relay: RelayState
        var meterAlarm: Bool
        var keepPower: Bool
        var isProtected: Bool
        var state: AccountControlState
        var feeControl: FeeControlState
        /// `none` in `collectedAt`: no baseline.
        var baselineCollectedAt: Int64
        var baselineMeterTime: Int64
        var baselineTotal: Int64
        var baselineRegisters: (Int64, Int64, Int64, Int64)
        var unfolded: Int64
        /// `none` in the lower bound: nothing unfolded.
        var unfoldedLower: Int64
        var unfoldedUpper: Int64
        var rowChargedThrough: Int64
        var billed: Int64
        var unfoldedEnergy: Int64
    }

    /// Stands for nil in a number field: no stored value is ever Int64.min.
    static let none = Int64.min
    static let noName = UInt32.max

    private var slotOfID: [String: Int32] = [:]
    private var slots: ContiguousArray<Slot> = []
    private var freeSlots: [Int32] = []
    private(set) var names = Names()

    var count: Int { slotOfID.count }

    subscript(id: String) -> AccountBook.Entry? {
        get { slotOfID[id].map { entry(id, slots[Int($0)]) } }
        set { replace(id, with: newValue) }
    }

    /// Sets the account's entry (nil: removes it) and returns what the totals knew of the one
    /// it replaced: the book's publish, once per account staged, with one hash of the id.
    @discardableResult
    mutating func replace(_ id: String, with entry: AccountBook.Entry?) -> AccountTally.Summary? {
        guard let entry else {
            guard let slot = slotOfID.removeValue(forKey: id) else { return nil }
            freeSlots.append(slot)
            return summary(slots[Int(slot)])
        }
        if let slot = slotOfID[id] {
            let old = summary(slots[Int(slot)])
            slots[Int(slot)] = pack(entry, reusing: slots[Int(slot)])
            return old
        }
        let packed = pack(entry, reusing: nil)
        if let slot = freeSlots.popLast() {
            slots[Int(slot)] = packed
            slotOfID[id] = slot
        } else {
            slotOfID[id] = Int32(slots.count)
            slots.append(packed)
        }
        return nil
    }

    /// What the totals count of a slot.
    private func summary(_ s: Slot) -> AccountTally.Summary {
        AccountTally.Summary(region: names.strings[Int(s.region)], state: s.state, balance: s.balance, billed: s.billed,
                             alarm: s.alarm == Self.none ? nil : s.alarm, trip: s.trip == Self.none ? nil : s.trip,
                             unfoldedLower: s.unfoldedLower == Self.none ? nil : s.unfoldedLower)
    }

    /// Every account, in no particular order.
    var entries: [AccountBook.Entry] { slotOfID.map { entry($0.key, slots[Int($0.value)]) } }

    /// Each account in turn, without holding them all unpacked at once.
    func forEach(_ body: (AccountBook.Entry) -> Void) {
        for (id, slot) in slotOfID { body(entry(id, slots[Int(slot)])) }
    }

    mutating func reserve(_ n: Int) {
        slotOfID.reserveCapacity(n)
        slots.reserveCapacity(n)
    }

    /// Every account as its id and slot, in no particular order (a snapshot's writing).
    func forEachSlot(_ body: (String, Slot) throws -> Void) rethrows {
        for (id, slot) in slotOfID { try body(id, slots[Int(slot)]) }
    }

    init() {}

    /// Accounts read back from a snapshot: `names` the table their slots' numbers index.
    init(names: [String], reserving count: Int) {
        self.names = Names(strings: names)
        reserve(count)
    }

    /// Adds a slot read back from a snapshot (its numbers index this book's names); false when
    /// the id is there already.
    mutating func insert(_ id: String, _ slot: Slot) -> Bool {
        // One hash of the id (a second would be a tenth of a million-account start); a
        // duplicate refuses the whole snapshot, so what it replaced does not matter.
        guard slotOfID.updateValue(Int32(slots.count), forKey: id) == nil else { return false }
        slots.append(slot)
        return true
    }

    /// The totals of every account, counted over the slots (start-up: no entry unpacked).
    func tally() -> AccountTally {
        struct Key: Hashable { let region: UInt32; let state: AccountControlState }
        var sums: [Key: AccountTally.Sums] = [:]
        // In slot order, in place: by the dictionary's order each slot was a cache miss, and a
        // copy of the whole slot (a fifth of a start from the snapshot).
        let free = Set(freeSlots)
        slots.withUnsafeBufferPointer { slots in
            for i in slots.indices where free.isEmpty || !free.contains(Int32(i)) {
                sums[Key(region: slots[i].region, state: slots[i].state), default: AccountTally.Sums()]
                    .merge(AccountTally.Sums(accounts: 1, balance: Int128(slots[i].balance), billedHundredths: Int128(slots[i].billed)))
            }
        }
        var tally = AccountTally()
        for (key, sums) in sums { tally.add(region: names.strings[Int(key.region)], state: key.state, sums) }
        return tally
    }

    /// `old`: the slot it replaces, whose name numbers are kept where the names did not
    /// change (most publishes: a hash of each name otherwise).
    private mutating func pack(_ e: AccountBook.Entry, reusing old: Slot?) -> Slot {
        let r = e.record
        let b = e.baseline
        func number(_ name: String, _ previous: UInt32?) -> UInt32 {
            if let previous, previous != Self.noName, names.strings[Int(previous)] == name { return previous }
            return names.number(name)
        }
        return Slot(
            meterAddress: r.meterAddress, terminal: number(r.terminalID, old?.terminal), tariff: number(r.tariff, old?.tariff),
            region: number(r.region, old?.region), customerClass: r.customerClass.map { number($0, old?.customerClass) } ?? Self.noName,
            alarm: r.alarmThreshold?.microYuan ?? Self.none, trip: r.tripThreshold?.microYuan ?? Self.none,
            balance: r.balance.microYuan, tierYearStart: r.tierYearStart.map(StoredInstant.millis) ?? Self.none,
            tierYearUsed: r.tierYearUsed.hundredths, lastReadingID: r.lastReadingID ?? Self.none,
            lastReadingAt: r.lastReadingAt.map(StoredInstant.millis) ?? Self.none,
            meterStateAt: r.meterStateAt.map(StoredInstant.millis) ?? Self.none, alarm2At: r.alarm2At.map(StoredInstant.millis) ?? Self.none,
            relay: r.meter.relay, meterAlarm: r.meter.alarm, keepPower: r.meter.keepPower, isProtected: r.isProtected,
            state: r.state, feeControl: r.feeControl,
            baselineCollectedAt: b.map { StoredInstant.millis($0.collectedAt) } ?? Self.none,
            baselineMeterTime: b?.meterTime.map(StoredInstant.millis) ?? Self.none, baselineTotal: b?.total.hundredths ?? 0,
            baselineRegisters: (b?.registers.sharp.hundredths ?? 0, b?.registers.peak.hundredths ?? 0,
                                b?.registers.flat.hundredths ?? 0, b?.registers.valley.hundredths ?? 0),
            unfolded: e.unfolded.microYuan, unfoldedLower: e.unfoldedReadings?.lowerBound ?? Self.none,
            unfoldedUpper: e.unfoldedReadings?.upperBound ?? Self.none, rowChargedThrough: e.rowChargedThrough,
            billed: e.billed.hundredths, unfoldedEnergy: e.unfoldedEnergy.hundredths)
    }

    private func entry(_ id: String, _ s: Slot) -> AccountBook.Entry {
        func number(_ n: Int64) -> Int64? { n == Self.none ? nil : n }
        func instant(_ n: Int64) -> Date? { number(n).map(StoredInstant.date) }
        let record = AccountRecord(
            id: id, meterAddress: s.meterAddress, terminalID: names.strings[Int(s.terminal)], tariff: names.strings[Int(s.tariff)],
            region: names.strings[Int(s.region)],
            customerClass: s.customerClass == Self.noName ? nil : names.strings[Int(s.customerClass)],
            alarmThreshold: number(s.alarm).map(Money.init(microYuan:)), tripThreshold: number(s.trip).map(Money.init(microYuan:)),
            isProtected: s.isProtected, balance: Money(microYuan: s.balance), tierYearStart: instant(s.tierYearStart),
            tierYearUsed: Energy(hundredths: s.tierYearUsed), lastReadingID: number(s.lastReadingID),
            lastReadingAt: instant(s.lastReadingAt), meter: MeterState(relay: s.relay, alarm: s.meterAlarm, keepPower: s.keepPower),
            meterStateAt: instant(s.meterStateAt), state: s.state, feeControl: s.feeControl, alarm2At: instant(s.alarm2At))
        let baseline = s.baselineCollectedAt == Self.none ? nil : MeterReading(
            collectedAt: StoredInstant.date(s.baselineCollectedAt), meterTime: instant(s.baselineMeterTime),
            total: Energy(hundredths: s.baselineTotal),
            registers: PerRegister(sharp: Energy(hundredths: s.baselineRegisters.0), peak: Energy(hundredths: s.baselineRegisters.1),
                                   flat: Energy(hundredths: s.baselineRegisters.2), valley: Energy(hundredths: s.baselineRegisters.3)))
        return AccountBook.Entry(
            record: record, baseline: baseline, unfolded: Money(microYuan: s.unfolded),
            unfoldedReadings: s.unfoldedLower == Self.none ? nil : s.unfoldedLower...s.unfoldedUpper,
            rowChargedThrough: s.rowChargedThrough, billed: Energy(hundredths: s.billed),
            unfoldedEnergy: Energy(hundredths: s.unfoldedEnergy))
    }
}
