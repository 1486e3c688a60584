import ChargeControl
import Foundation
import Tariffs

/// The store's figures for `/metrics`, read in one transaction so that they agree with each other.
public struct StoreMetricsFigures: Sendable, Hashable {
    /// A command kind and state, as stored (`allow_close`, `in_flight`, …).
    public struct KindState: Sendable, Hashable {
        public let kind: String
        public let state: String
    }

    /// Commands still to settle per kind and state: pending, in flight and in review (combinations
    /// without commands are absent; settled ones are the dispatcher's `dispatch_*_total`).
    public let commands: [KindState: Int]
    /// Commands waiting or being sent: pending plus in flight (deferred trips included).
    public let queueDepth: Int
    /// How long the longest-waiting due pending command has waited: now minus the later of its
    /// creation and its `not_before` (a trip deferred to the next window is not waiting before
    /// the window opens; a command backing off between attempts is). Zero when none is due.
    public let oldestPendingAge: Duration
    /// Job-review items still open.
    public let openReviewItems: Int
    /// Accounts per control state (`normal`, `alarm`, `tripped`, `protected`, `abnormal`).
    public let accountsByState: [String: Int]
    /// Accounts whose balance is at or below their alarm threshold (their own or the default).
    public let accountsAtOrBelowAlarm: Int
    /// Accounts whose balance is at or below their trip threshold (their own or the default);
    /// protected accounts count too (they are below it, they are just never cut off).
    public let accountsAtOrBelowTrip: Int
    /// Every terminal provisioned.
    public let terminalIDs: [String]
}

/// Store queries for metrics: cheap aggregates over the indexed tables, and the payment a
/// reconnection answers.
extension StationStore {
    /// The figures `/metrics` shows from the store. `defaultAlarm` and `defaultTrip` stand for
    /// accounts without thresholds of their own; comparisons are "at or below", like the policy's.
    public func metricsFigures(defaultAlarm: Money, defaultTrip: Money, at now: Date) async throws -> StoreMetricsFigures {
        let ms = StoredInstant.millis(now)
        return try await writer.read { db in
            var commands: [StoreMetricsFigures.KindState: Int] = [:]
            // The live states only, an index range (`command_due`): settled commands pile up for
            // ever, and a scrape must not read them (the dispatcher's counters count them).
            for row in try SQLRow.fetchAll(db, sql: """
                SELECT kind, state, COUNT(*) AS n FROM command INDEXED BY command_due
                WHERE state IN ('pending', 'in_flight', 'review') GROUP BY kind, state
                """) {
                let kind = try row.decode(String.self, forColumn: "kind"), state = try row.decode(String.self, forColumn: "state")
                commands[StoreMetricsFigures.KindState(kind: kind, state: state)] = try row.decode(Int.self, forColumn: "n")
            }
            let depth = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM command WHERE state IN ('pending', 'in_flight')") ?? 0
            let oldest = try Int64.fetchOne(db, sql: """
                SELECT MIN(MAX(created_at, not_before)) FROM command WHERE state = 'pending' AND not_before <= ?
                """, arguments: [ms])
            let review = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM review_item WHERE state = 'open'") ?? 0
            // Accounts from the account book's totals (no pass over the table); from the rows,
            // with the charges they lack, for a store without a book.
            var byState: [String: Int] = [:]
            var below: (alarm: Int, trip: Int)
            if let book = self.book, let totals = book.totals(region: nil),
               let counted = book.atOrBelowThresholds(defaults: (defaultAlarm, defaultTrip)) {
                for (state, sums) in totals { byState[state.rawValue] = sums.accounts }
                below = counted
            } else {
                for row in try SQLRow.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM account GROUP BY state") {
                    byState[try row.decode(String.self, forColumn: "state")] = try row.decode(Int.self, forColumn: "n")
                }
                let row = try SQLRow.fetchOne(db, sql: """
                    SELECT COALESCE(SUM(CASE WHEN a.balance_micro_yuan - COALESCE(u.charged, 0) <= COALESCE(a.alarm_micro_yuan, ?) THEN 1 ELSE 0 END), 0) AS alarm,
                           COALESCE(SUM(CASE WHEN a.balance_micro_yuan - COALESCE(u.charged, 0) <= COALESCE(a.trip_micro_yuan, ?) THEN 1 ELSE 0 END), 0) AS trip
                    FROM account AS a LEFT JOIN (\(AccountBook.unfoldedCharges)) AS u ON u.account_id = a.id
                    """, arguments: [defaultAlarm.microYuan, defaultTrip.microYuan])
                below = (try row?.decode(forColumn: "alarm") ?? 0, try row?.decode(forColumn: "trip") ?? 0)
            }
            let terminals = try String.fetchAll(db, sql: "SELECT id FROM terminal ORDER BY id")
            return StoreMetricsFigures(
                commands: commands, queueDepth: depth,
                // Duration arithmetic: a nonsense stored instant cannot overflow it as Int64 `ms - $0` could.
                oldestPendingAge: max(.zero, oldest.map { .milliseconds(ms) - .milliseconds($0) } ?? .zero),
                openReviewItems: review, accountsByState: byState,
                accountsAtOrBelowAlarm: below.alarm,
                accountsAtOrBelowTrip: below.trip,
                terminalIDs: terminals)
        }
    }

    /// When the latest payment of `account` received in `earliest...latest` was received, or nil.
    /// Read from the ledger (indexed by account), whose payment rows are posted at the instant
    /// the payment was received (`recordPayment`), so the payment table needs no account index.
    public func latestPaymentReceived(account: String, from earliest: Date, through latest: Date) async throws -> Date? {
        try await writer.read { db in
            try Int64.fetchOne(db, sql: """
                SELECT MAX(at) FROM ledger WHERE account_id = ? AND kind = 'payment' AND at BETWEEN ? AND ?
                """, arguments: [account, StoredInstant.millis(earliest), StoredInstant.millis(latest)])
                .map(StoredInstant.date)
        }
    }
}
