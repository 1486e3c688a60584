import DLT645
import Foundation
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
        // The commands first, the payments after: a payment committed in between comes after
        // every attempt seen, so it is never taken for one that preceded an attempt.
        let history = try await store.commandHistory()
        var facts = Facts()
        for c in history.commands {
            guard let text = try? MeterDateTime(StoredInstant.date(c.deadlineAtMillis), in: zone).description else { continue }
            let meterKind = "\(c.meterAddress) \(c.kind)"
            facts.lifetimes[meterKind, default: []].append((c.createdAtMillis, c.acknowledgedAtMillis))
            facts.commands["\(meterKind) \(text)", default: []].append(
                Command(id: c.id, account: c.accountID, state: c.state, acknowledgedAt: c.acknowledgedAtMillis))
        }
        for entry in history.audit where entry.event == "command_in_flight" {
            guard let id = entry.commandID else { continue }
            facts.inFlight[id, default: []].append((entry.id, entry.atMillis))
        }
        for entry in try await store.auditTrail(event: "payment") {
            // "order ORDER: 1.00 yuan via channel"
            let detail = entry.detail
            guard let account = entry.accountID, detail.hasPrefix("order "), let colon = detail.firstIndex(of: ":") else { continue }
            let order = String(detail[detail.index(detail.startIndex, offsetBy: 6)..<colon])
            facts.payments[account, default: []].append((entry.id, order))
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
            let lowest = try await store.lowestBalance(afterPayment: payment.order, throughMillis: receipt.atMillis)?.microYuan
            if let lowest, lowest > tripThresholdMicroYuan {
                problems.append("meter \(receipt.address) got a trip (command \(trip.id), \(receipt.fate)) at \(receipt.atMillis) ms "
                    + "although payment \(payment.order) before the attempt left at least \(lowest) micro-yuan")
            }
        }
    }
}
