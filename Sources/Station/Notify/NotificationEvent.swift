import ChargeControl
import Foundation
import Store
import Tariffs

/// What a customer is told about (the SMS gateway's side of seed function 3.13).
public enum NotificationKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The account entered the alarm state.
    case lowBalance = "low_balance"
    /// An alarm command was newly queued.
    case alarm
    /// A trip was newly queued (possibly deferred to a trip window).
    case trip
    /// An allow-close or direct-close was newly queued: power comes back.
    case restore
}

/// The JSON body posted to the webhook; keys are snake_case, instants RFC 3339 with the
/// station's offset.
public struct NotificationPayload: Sendable, Hashable, Codable {
    public let event: NotificationKind
    public let accountID: String
    public let meterAddress: String
    /// Two decimals, e.g. `"19.50"`.
    public let balanceYuan: String
    public let balanceMicroYuan: Int64
    /// When the decision was taken.
    public let at: String
    /// The queued command, for command events.
    public let commandID: Int64?
    /// Trips only: whether the trip waits for a trip window.
    public let deferred: Bool?
    /// Trips only: not sent before this instant.
    public let notBefore: String?
    /// Unique per event; also sent as the `Idempotency-Key` header.
    public let eventKey: String
    /// Low balance only: whole days until the trip threshold at recent spending (absent when
    /// nothing was spent recently).
    public var daysLeft: Int64? = nil
    /// Low balance only: 1 at the alarm threshold, 2 at alarm limit 2.
    public var level: Int? = nil

    enum CodingKeys: String, CodingKey {
        case event
        case accountID = "account_id"
        case meterAddress = "meter_address"
        case balanceYuan = "balance_yuan"
        case balanceMicroYuan = "balance_micro_yuan"
        case at
        case commandID = "command_id"
        case deferred
        case notBefore = "not_before"
        case eventKey = "event_key"
        case daysLeft = "days_left"
        case level
    }

    /// The outbox row carrying this payload.
    public func outboxEntry() throws -> OutboxEntry {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(self), as: UTF8.self)
        return OutboxEntry(eventKey: eventKey, event: event.rawValue, accountID: accountID, payload: json)
    }
}

/// The notifications a decision raises. Only new decisions notify: a state the account enters
/// (it was not in it before) or a command newly queued. Event keys name the command or the
/// reading (or the instant) behind the event, so raising the same event twice writes one row.
public enum Notifications {
    /// The decision an evaluation took, as far as notifications care.
    public struct Decision: Sendable {
        public var accountID: String
        public var meterAddress: String
        public var previousState: AccountControlState
        public var plan: ControlPlan
        public var newCommands: [QueuedCommand]
        public var balance: Money
        public var readingID: Int64?
        public var at: Date
        public var timeZone: TimeZone
        /// The days-left forecast, for the low-balance notice.
        public var daysLeft: Int64? = nil
        /// The second alarm level was raised by this decision.
        public var secondAlarm = false
    }

    /// The payloads for `decision`: low balance first, then commands in plan order.
    public static func payloads(for d: Decision) -> [NotificationPayload] {
        func payload(_ kind: NotificationKind, key: String, balance: Money, command: QueuedCommand? = nil) -> NotificationPayload {
            let isTrip = kind == .trip
            return NotificationPayload(
                event: kind, accountID: d.accountID, meterAddress: d.meterAddress, balanceYuan: balance.yuanString,
                balanceMicroYuan: balance.microYuan, at: RFC3339.format(d.at, in: d.timeZone), commandID: command?.id,
                deferred: isTrip ? command?.command.isDeferred : nil,
                notBefore: isTrip ? command.map { RFC3339.format($0.command.notBefore, in: d.timeZone) } : nil,
                eventKey: key)
        }
        var out: [NotificationPayload] = []
        // What raised a low-balance notice: the reading, or the instant of a re-decision.
        let cause = d.readingID.map { "reading:\($0)" } ?? "at:\(StoredInstant.millis(d.at))"
        if d.plan.state == .alarm && d.previousState != .alarm {
            var notice = payload(.lowBalance, key: "low_balance:\(d.accountID):\(cause)", balance: d.balance)
            notice.daysLeft = d.daysLeft
            notice.level = 1
            out.append(notice)
        }
        if d.secondAlarm {
            var notice = payload(.lowBalance, key: "low_balance_2:\(d.accountID):\(cause)", balance: d.balance)
            notice.daysLeft = d.daysLeft
            notice.level = 2
            out.append(notice)
        }
        for queued in d.newCommands {
            let kind: NotificationKind
            switch queued.command.kind {
            case .alarm: kind = .alarm
            case .trip: kind = .trip
            case .allowClose, .directClose: kind = .restore
            case .alarmRelease, .keepPower, .keepPowerRelease, .write, .clockBroadcast, .clockWrite: continue
            }
            out.append(payload(kind, key: "\(kind.rawValue):\(queued.id)", balance: queued.command.balance, command: queued))
        }
        return out
    }

    /// Writes the decision's notifications into the outbox, in the decision's transaction;
    /// returns how many (the caller wakes the notifier when there are any).
    @discardableResult
    public static func record(_ decision: Decision, in tx: StoreTransaction) throws -> Int {
        let payloads = payloads(for: decision)
        for payload in payloads {
            try tx.addToOutbox(try payload.outboxEntry(), at: decision.at)
        }
        return payloads.count
    }
}
