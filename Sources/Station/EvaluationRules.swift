import ChargeControl
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

    public init(tariffs: [String: Tariff], policy: ControlPolicy, limits: ValidationLimits,
                defaultAlarm: AlarmThreshold, defaultTrip: TripThreshold, reconnectMargin: ReconnectMargin,
                commandLifetime: Duration) {
        self.tariffs = tariffs
        self.policy = policy
        self.limits = limits
        self.defaultAlarm = defaultAlarm
        self.defaultTrip = defaultTrip
        self.reconnectMargin = reconnectMargin
        self.commandLifetime = commandLifetime
    }

    /// The account's thresholds: its own where set, the station's otherwise.
    public func settings(for account: AccountRecord) throws(EvaluationError) -> ControlSettings {
        do {
            return try ControlSettings(
                alarm: account.alarmThreshold.map(AlarmThreshold.init) ?? defaultAlarm,
                trip: account.tripThreshold.map(TripThreshold.init) ?? defaultTrip,
                reconnectMargin: reconnectMargin, isProtected: account.isProtected)
        } catch {
            throw .badSettings(account: account.id, problem: error.description)
        }
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
