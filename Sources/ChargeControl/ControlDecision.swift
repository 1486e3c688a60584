import Foundation
import Tariffs

/// The remote-control commands the policy plans (DL/T 645 control code 1CH). Raw values are the
/// names used in the API, the journal's `EVENT=` and the queue.
public enum CommandKind: String, Sendable, Hashable, Codable, CaseIterable {
    case alarm
    case alarmRelease = "alarm_release"
    case trip
    case allowClose = "allow_close"
    case directClose = "direct_close"
    case keepPower = "keep_power"
    case keepPowerRelease = "keep_power_release"
    /// A parameter written into the meter (14H), confirmed by reading it back.
    case write
    /// The meter's clock set by broadcast time (08H) on its terminal, confirmed by reading it.
    case clockBroadcast = "clock_broadcast"
    /// The meter's clock set by writing its date and time (14H), confirmed by reading it.
    case clockWrite = "clock_write"
}

/// Why the policy decided what it did. Raw values are stable codes for the audit trail.
public enum DecisionReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// Balance at or below the alarm threshold.
    case balanceAtOrBelowAlarm = "balance_at_or_below_alarm"
    /// Balance above the alarm threshold plus the margin.
    case balanceAboveAlarmRelease = "balance_above_alarm_release"
    /// Balance at or below the trip threshold, inside a trip window.
    case balanceAtOrBelowTrip = "balance_at_or_below_trip"
    /// Balance at or below the trip threshold outside the trip windows: deferred.
    case tripDeferredOutsideWindow = "trip_deferred_outside_window"
    /// Balance at or below the trip threshold on a holiday: deferred.
    case tripDeferredHoliday = "trip_deferred_holiday"
    /// Tripped meter with the balance above the reconnect level.
    case balanceAboveReconnectLevel = "balance_above_reconnect_level"
    /// Protected account: keep power on.
    case protectedAccount = "protected_account"
    /// No longer protected: release keep-power.
    case protectionLifted = "protection_lifted"
    /// Held: the account's data is under review (an open abnormal-reading item), so no adverse
    /// decision is taken.
    case abnormalData = "abnormal_data"
    /// Held: balance between the thresholds and their release levels; nothing changes.
    case withinHysteresis = "within_hysteresis"
    /// Held: protected account at or below the trip threshold, not tripped.
    case protectedNotTripped = "protected_not_tripped"
    /// Held: no trip window ahead (cannot happen with a valid calendar).
    case noTripWindow = "no_trip_window"
    /// Fee control enrolled: the account's limits and prices go into the meter.
    case feeControlEnrol = "fee_control_enrol"
    /// Fee control released: control lifted.
    case feeControlRelease = "fee_control_release"
    /// A price version with a future effective instant goes into the meter's second price set.
    case pricePush = "price_push"
    /// The meter's clock is off by more than the tolerance.
    case clockCorrection = "clock_correction"
    /// An operator asked for it.
    case operatorRequest = "operator_request"
    /// Held: fee control is pending (parameters not yet confirmed in the meter): no trip.
    case feeControlPending = "fee_control_pending"
    /// Held: fee control is released: no control decision.
    case feeControlReleased = "fee_control_released"
}

/// A value to write into a meter with 14H: the identifier (8 hex digits, `04001001`) and the value
/// as the meter shows it (`20.00`). The station writes it, then reads it back to confirm.
public struct ParameterSetting: Sendable, Hashable, Codable {
    public let identifier: String
    public let value: String

    public init(identifier: String, value: String) {
        self.identifier = identifier
        self.value = value
    }
}

/// A command the policy wants sent.
public struct PlannedCommand: Sendable, Hashable {
    public let kind: CommandKind
    public let reason: DecisionReason
    /// The reason in words, with the amounts it compared.
    public let detail: String
    /// The balance the decision saw.
    public let balance: Money
    /// Not to be sent before this instant: the evaluation instant, or a window opening for a
    /// deferred trip.
    public let notBefore: Date
    /// Whether the command waits for a later window.
    public let isDeferred: Bool
    /// What a `write` writes (nil for every other kind).
    public let parameter: ParameterSetting?

    /// A command built outside the policy too: an operator's manual command, a parameter write, or a test.
    public init(kind: CommandKind, reason: DecisionReason, detail: String, balance: Money, notBefore: Date, isDeferred: Bool,
                parameter: ParameterSetting? = nil) {
        self.parameter = parameter
        self.kind = kind
        self.reason = reason
        self.detail = detail
        self.balance = balance
        self.notBefore = notBefore
        self.isDeferred = isDeferred
    }
}

/// A decision not to act, recorded so that the audit says why nothing happened.
public struct HeldDecision: Sendable, Hashable {
    public let reason: DecisionReason
    public let detail: String
    public let balance: Money
}

/// The outcome of evaluating one account: the desired meter state and the ordered commands that
/// move the last known state there.
public struct ControlPlan: Sendable, Hashable {
    /// When the plan was made.
    public let evaluatedAt: Date
    /// The balance it saw.
    public let balance: Money
    /// Where the meter should end up.
    public let desired: DesiredMeterState
    /// What to send, in order (allow-close first, alarm before trip).
    public let commands: [PlannedCommand]
    /// Decisions not taken, and why.
    public let held: [HeldDecision]
    /// The account's state for the API.
    public let state: AccountControlState
}
