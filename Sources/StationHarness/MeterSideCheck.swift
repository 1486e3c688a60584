import DLT645
import Foundation
import GRDB
import Store

/// The station's commands checked from the meters' side (`meter-sim --record-controls`):
/// - no request for a command reaches its meter after the command was acknowledged;
/// - no trip reaches a meter after a payment that made it unnecessary: when the account's last
///   payment before the attempt began left the balance above the trip threshold, and no charge
///   booked before the meter got the trip could have brought it back down, the dispatcher's
///   re-check must have superseded the trip.
///
/// A request is matched to its command by meter, kind and the validity deadline it carries
/// (second resolution, station time zone). Requests sent before an operator retry carry the
/// old deadline and can match an earlier command of the same kind whose deadline fell in the same
/// second (found by a 40-round run: command A went to review and was resolved "done on site", B
/// was queued 5 ms later, then retried): a request is therefore only flagged when no command of
/// that meter and kind was live (created, not yet acknowledged) when the meter got it.
public struct MeterSideCheck: Sendable {
    /// Everything found wrong, one line each.
    public var problems: [String] = []
    /// Requests checked, and of those matched to a command.
    public var receipts = 0
    public var matched = 0
    /// Trips the meters received whose attempt followed a payment of the account.
    public var tripsAfterPayment = 0

    public init() {}

    /// Checks `receipts` (each only once: a verdict cannot change later) against the file.
    /// - Parameters:
    ///   - tripThresholdMicroYuan: the station's trip threshold (accounts use the default).
    ///   - zone: the station's time zone (the deadline's clock).
    public mutating func check(_ receipts: [ControlReceiptView], store: StationStore, tripThresholdMicroYuan: Int64 = 0,
                               zone: TimeZone) async throws {
        guard !receipts.isEmpty else { return }
        struct Command: Sendable {
            let id: Int64, account: String, state: String, acknowledgedAt: Int64?
        }
        struct Facts: Sendable {
            /// (meter, kind, deadline text) → commands.
            var commands: [String: [Command]] = [:]
            /// (meter, kind) → every command's lifetime: queued, acknowledged (ms).
            var lifetimes: [String: [(created: Int64, acknowledged: Int64?)]] = [:]
            /// command id → its in-flight audit rows (id, at), oldest first.
            var inFlight: [Int64: [(id: Int64, at: Int64)]] = [:]
            /// account → payments in audit order: (audit id, order number).
            var payments: [String: [(auditID: Int64, order: String)]] = [:]
        }
        let facts = try await store.writer.read { db -> Facts in
            var f = Facts()
            for row in try Row.fetchAll(db, sql: "SELECT id, account_id, meter_address, kind, state, deadline_at, acknowledged_at, created_at FROM command") {
                let deadline = StoredInstant.date(try row.decode(forColumn: "deadline_at"))
                guard let text = try? MeterDateTime(deadline, in: zone).description else { continue }
                let meter: String = try row.decode(forColumn: "meter_address"), kind: String = try row.decode(forColumn: "kind")
                let meterKind = "\(meter) \(kind)"
                let acknowledgedAt: Int64? = try row.decode(forColumn: "acknowledged_at")
                f.lifetimes[meterKind, default: []].append((try row.decode(forColumn: "created_at"), acknowledgedAt))
                f.commands["\(meterKind) \(text)", default: []].append(
                    Command(id: try row.decode(forColumn: "id"), account: try row.decode(forColumn: "account_id"),
                            state: try row.decode(forColumn: "state"), acknowledgedAt: acknowledgedAt))
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, at, command_id FROM audit WHERE event = 'command_in_flight' ORDER BY id") {
                f.inFlight[try row.decode(forColumn: "command_id"), default: []]
                    .append(try (row.decode(forColumn: "id"), row.decode(forColumn: "at")))
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, account_id, detail FROM audit WHERE event = 'payment' ORDER BY id") {
                // "order ORDER: 1.00 yuan via channel"
                let detail: String = try row.decode(forColumn: "detail")
                guard detail.hasPrefix("order "), let colon = detail.firstIndex(of: ":") else { continue }
                let order = String(detail[detail.index(detail.startIndex, offsetBy: 6)..<colon])
                f.payments[try row.decode(forColumn: "account_id"), default: []].append((try row.decode(forColumn: "id"), order))
            }
            return f
        }
        for receipt in receipts {
            self.receipts += 1
            guard let candidates = facts.commands["\(receipt.address) \(receipt.command) \(receipt.deadline)"] else { continue }
            matched += 1
            let acknowledged = candidates.compactMap(\.acknowledgedAt)
            let live = facts.lifetimes["\(receipt.address) \(receipt.command)"]?.contains {
                $0.created <= receipt.atMillis && ($0.acknowledged ?? .max) >= receipt.atMillis
            } ?? false
            if !live, acknowledged.count == candidates.count, let last = acknowledged.max(), last < receipt.atMillis {
                problems.append("meter \(receipt.address) got \(receipt.command) (valid until \(receipt.deadline)) at "
                    + "\(receipt.atMillis) ms, after command \(candidates.map(\.id)) was acknowledged at \(last) ms")
            }
            guard receipt.command == "trip", candidates.count == 1, let trip = candidates.first,
                  let attempt = facts.inFlight[trip.id]?.last(where: { $0.at <= receipt.atMillis }),
                  let payment = facts.payments[trip.account]?.last(where: { $0.auditID < attempt.id }) else { continue }
            tripsAfterPayment += 1
            // The lowest balance the re-check can have seen: the payment's balance less every
            // charge booked after it up to the meter's receipt (committed before the re-check or not).
            let lowest = try await store.writer.read { db -> Int64? in
                guard let paid = try Row.fetchOne(db, sql: "SELECT ledger_id, balance_after_micro_yuan FROM payment WHERE order_no = ?",
                                                  arguments: [payment.order]) else { return nil }
                let ledgerID: Int64 = try paid.decode(forColumn: "ledger_id")
                let balance: Int64 = try paid.decode(forColumn: "balance_after_micro_yuan")
                let charges = try Int64.fetchOne(db, sql: """
                    SELECT COALESCE(SUM(CASE WHEN kind = 'charge' THEN amount_micro_yuan ELSE -amount_micro_yuan END), 0)
                    FROM ledger WHERE account_id = ? AND id > ? AND at <= ?
                        AND (kind = 'charge' OR (kind = 'adjustment' AND amount_micro_yuan < 0))
                    """, arguments: [trip.account, ledgerID, receipt.atMillis]) ?? 0
                return balance - charges
            }
            if let lowest, lowest > tripThresholdMicroYuan {
                problems.append("meter \(receipt.address) got a trip (command \(trip.id), \(receipt.fate)) at \(receipt.atMillis) ms "
                    + "although payment \(payment.order) before the attempt left at least \(lowest) micro-yuan")
            }
        }
    }
}
