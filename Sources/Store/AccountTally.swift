import ChargeControl
import Foundation
import Tariffs

/// The account book's running totals (issue 14: a scrape must not scan whole tables): accounts,
/// balances and billed energy per region and control state, and the accounts at or below their
/// alarm and trip thresholds. Kept as the book publishes, so `/metrics` and `/v1/stats` read
/// them without a query.
struct AccountTally: Sendable {
    struct Group: Hashable, Sendable {
        let region: String
        let state: AccountControlState
    }

    struct Sums: Sendable {
        var accounts = 0
        /// Balances summed past what Int64 holds (issue 17).
        var balance: Int128 = 0
        var billedHundredths: Int128 = 0

        mutating func merge(_ other: Sums) {
            accounts += other.accounts
            balance += other.balance
            billedHundredths += other.billedHundredths
        }
    }

    /// What the totals count of one account.
    struct Summary: Sendable {
        var region: String
        var state: AccountControlState
        var balance: Int64
        var billed: Int64
        var alarm: Int64?
        var trip: Int64?
        /// The first reading its row lacks (not counted: the book's publish uses it).
        var unfoldedLower: Int64?
    }

    private(set) var groups: [Group: Sums] = [:]
    /// The station thresholds an account without its own stands for (`[control]`).
    private(set) var defaults: (alarm: Money, trip: Money)?
    private(set) var atOrBelowAlarm = 0
    private(set) var atOrBelowTrip = 0

    /// Adds (`sign` 1) or removes (-1) one account.
    mutating func count(_ a: Summary, _ sign: Int) {
        adjust(Group(region: a.region, state: a.state),
               by: Sums(accounts: sign, balance: Int128(sign) * Int128(a.balance), billedHundredths: Int128(sign) * Int128(a.billed)))
        countThresholds(a, sign)
    }

    /// Adds `delta` to the group's sums; a group left with no account goes.
    private mutating func adjust(_ group: Group, by delta: Sums) {
        var sums = groups[group] ?? Sums()
        sums.merge(delta)
        groups[group] = sums.accounts == 0 ? nil : sums
    }

    private mutating func countThresholds(_ a: Summary, _ sign: Int) {
        if let defaults {
            if a.balance <= (a.alarm ?? defaults.alarm.microYuan) { atOrBelowAlarm += sign }
            if a.balance <= (a.trip ?? defaults.trip.microYuan) { atOrBelowTrip += sign }
        }
    }

    /// One account changed from `old` to `new` (nil: not there): in its group in place when it
    /// stays in it (a reading's publish: one hash instead of four).
    mutating func move(from old: Summary?, to new: Summary?) {
        guard let old, let new, old.region == new.region, old.state == new.state else {
            if let old { count(old, -1) }
            if let new { count(new, 1) }
            return
        }
        adjust(Group(region: new.region, state: new.state),
               by: Sums(balance: Int128(new.balance) - Int128(old.balance), billedHundredths: Int128(new.billed) - Int128(old.billed)))
        countThresholds(old, -1)
        countThresholds(new, 1)
    }

    /// Adds the sums of accounts counted elsewhere (`PackedAccounts.tally`).
    mutating func add(region: String, state: AccountControlState, _ more: Sums) {
        adjust(Group(region: region, state: state), by: more)
    }

    /// Counts the accounts at or below their thresholds anew for other station defaults (after
    /// a reload): once, over every account.
    mutating func recount(defaults: (alarm: Money, trip: Money), over accounts: PackedAccounts) {
        self.defaults = defaults
        var alarm = 0
        var trip = 0
        accounts.forEach { entry in
            let r = entry.record
            if r.balance <= (r.alarmThreshold ?? defaults.alarm) { alarm += 1 }
            if r.balance <= (r.tripThreshold ?? defaults.trip) { trip += 1 }
        }
        atOrBelowAlarm = alarm
        atOrBelowTrip = trip
    }

    /// The sums of one region's accounts, or of all, by state.
    func byState(region: String?) -> [AccountControlState: Sums] {
        var out: [AccountControlState: Sums] = [:]
        for (group, sums) in groups where region == nil || group.region == region {
            out[group.state, default: Sums()].merge(sums)
        }
        return out
    }
}

extension AccountTally.Summary {
    init(_ entry: AccountBook.Entry) {
        let r = entry.record
        self.init(region: r.region, state: r.state, balance: r.balance.microYuan, billed: entry.billed.hundredths,
                  alarm: r.alarmThreshold?.microYuan, trip: r.tripThreshold?.microYuan, unfoldedLower: entry.unfoldedReadings?.lowerBound)
    }
}
