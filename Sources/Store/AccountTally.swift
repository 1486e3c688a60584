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

        mutating func add(balance: Int64, billed: Int64) {
            accounts += 1
            self.balance += Int128(balance)
            billedHundredths += Int128(billed)
        }
    }

    private(set) var groups: [Group: Sums] = [:]
    /// The station thresholds an account without its own stands for (`[control]`).
    private(set) var defaults: (alarm: Money, trip: Money)?
    private(set) var atOrBelowAlarm = 0
    private(set) var atOrBelowTrip = 0

    /// Adds (`sign` 1) or removes (-1) one account.
    mutating func count(_ entry: AccountBook.Entry, _ sign: Int) {
        let r = entry.record
        var sums = groups[Group(region: r.region, state: r.state)] ?? Sums()
        sums.accounts += sign
        sums.balance += Int128(sign) * Int128(r.balance.microYuan)
        sums.billedHundredths += Int128(sign) * Int128(entry.billed.hundredths)
        groups[Group(region: r.region, state: r.state)] = sums.accounts == 0 ? nil : sums
        if let defaults {
            if r.balance <= (r.alarmThreshold ?? defaults.alarm) { atOrBelowAlarm += sign }
            if r.balance <= (r.tripThreshold ?? defaults.trip) { atOrBelowTrip += sign }
        }
    }

    /// Adds the sums of accounts counted elsewhere (`PackedAccounts.tally`).
    mutating func add(region: String, state: AccountControlState, _ more: Sums) {
        var sums = groups[Group(region: region, state: state)] ?? Sums()
        sums.accounts += more.accounts
        sums.balance += more.balance
        sums.billedHundredths += more.billedHundredths
        groups[Group(region: region, state: state)] = sums.accounts == 0 ? nil : sums
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
            var total = out[group.state] ?? Sums()
            total.accounts += sums.accounts
            total.balance += sums.balance
            total.billedHundredths += sums.billedHundredths
            out[group.state] = total
        }
        return out
    }
}
