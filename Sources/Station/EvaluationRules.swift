import ChargeControl
import DLT645
import Foundation
import Store
import Tariffs

/// What the evaluator needs from the configuration: tariffs by name, thresholds, calendar,
/// validation limits and how long a command stays valid.
public struct EvaluationRules: Sendable {
    public var tariffs: [String: Tariff]
    public var policy: ControlPolicy
    public var limits: ValidationLimits
    public var defaultAlarm: AlarmThreshold
    public var defaultTrip: TripThreshold
    public var reconnectMargin: ReconnectMargin
    /// A command's validity deadline is its creation plus this (also written into 1CH N3..N8).
    public var commandLifetime: Duration
    /// Default thresholds per customer class ([control.classes.NAME]).
    public var classSettings: [String: ControlSettings]
    /// Every class the configuration names (control or collection): others are refused.
    public var customerClasses: Set<String>
    /// The largest payment, and the largest adjustment either way (`[payments] max_yuan`).
    public var maxPayment: Money
    /// The alarm amount limit 2 pushed into enrolled meters; nil: half the account's alarm threshold.
    public var alarm2: Money? = nil
    /// How far a meter's clock may be off before the station corrects it (`[meters] clock_tolerance`).
    public var clockToleranceSeconds: Int64 = 60

    public init(tariffs: [String: Tariff], policy: ControlPolicy, limits: ValidationLimits,
                defaultAlarm: AlarmThreshold, defaultTrip: TripThreshold, reconnectMargin: ReconnectMargin,
                commandLifetime: Duration, classSettings: [String: ControlSettings] = [:], customerClasses: Set<String> = [],
                maxPayment: Money = AmountBounds.defaultPayment) {
        self.tariffs = tariffs
        self.policy = policy
        self.limits = limits
        self.defaultAlarm = defaultAlarm
        self.defaultTrip = defaultTrip
        self.reconnectMargin = reconnectMargin
        self.commandLifetime = commandLifetime
        self.classSettings = classSettings
        self.customerClasses = customerClasses.union(classSettings.keys)
        self.maxPayment = maxPayment
    }

    /// The account's thresholds: its own where set, else its class's, else the station's. An
    /// account is protected when it or its class is.
    public func settings(for account: AccountRecord) throws(EvaluationError) -> ControlSettings {
        let base = account.customerClass.flatMap { classSettings[$0] }
        do {
            return try ControlSettings(
                alarm: account.alarmThreshold.map(AlarmThreshold.init) ?? base?.alarm ?? defaultAlarm,
                trip: account.tripThreshold.map(TripThreshold.init) ?? base?.trip ?? defaultTrip,
                reconnectMargin: base?.reconnectMargin ?? reconnectMargin,
                isProtected: account.isProtected || base?.isProtected == true, feeControl: account.feeControl)
        } catch {
            throw .badSettings(account: account.id, problem: error.description)
        }
    }

    /// The account's alarm limit 2 (`[control] alarm2_yuan`, else half its alarm threshold down to
    /// the fen): pushed into its meter as `04001002` and the station's second alarm level.
    public func alarm2(for account: AccountRecord, settings: ControlSettings) -> Money {
        let fen = MeterUnits.microYuanPerFen
        return alarm2 ?? Money(microYuan: settings.alarm.balance.microYuan / 2 / fen * fen)
    }

    public func tariff(for account: AccountRecord) throws(EvaluationError) -> Tariff {
        guard let tariff = tariffs[account.tariff] else { throw .unknownTariff(account: account.id, tariff: account.tariff) }
        return tariff
    }

    /// The validity deadline of a command created at `now`.
    public func deadline(from now: Date) -> Date {
        now.adding(commandLifetime)
    }
}

/// Why an account could not be evaluated; the account is left as it was.
public enum EvaluationError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownTariff(account: String, tariff: String)
    case badSettings(account: String, problem: String)
    case rating(account: String, problem: String)

    public var description: String {
        switch self {
        case .unknownTariff(let a, let t): "account \(a): unknown tariff \"\(t)\""
        case .badSettings(let a, let p): "account \(a): \(p)"
        case .rating(let a, let p): "account \(a): rating failed: \(p)"
        }
    }
}
