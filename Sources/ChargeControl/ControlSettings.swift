import Tariffs

/// At or below this balance the meter's alarm is turned on: "please pay".
public struct AlarmThreshold: Sendable, Hashable, Codable {
    public let balance: Money
    public init(_ balance: Money) { self.balance = balance }
}

/// At or below this balance the meter is tripped. May be negative: friendly credit lets a
/// customer overdraw that far before losing power.
public struct TripThreshold: Sendable, Hashable, Codable {
    public let balance: Money
    public init(_ balance: Money) { self.balance = balance }
}

/// Hysteresis: a tripped meter is allowed to close only when the balance is above trip + margin,
/// and an alarm is released only above alarm + margin, so a balance hovering at a threshold does
/// not flap commands.
public struct ReconnectMargin: Sendable, Hashable, Codable {
    public let amount: Money
    public init(_ amount: Money) { self.amount = amount }
}

/// The control settings of one account (defaults per customer class, overridable per account).
public struct ControlSettings: Sendable, Hashable, Codable {
    /// Why settings are inconsistent.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case alarmBelowTrip
        case negativeMargin
        case overflow
        /// A threshold or the margin beyond ±`AmountBounds.threshold`.
        case outOfBounds(AmountOutOfBounds)

        public var description: String {
            switch self {
            case .alarmBelowTrip: return "the alarm threshold must be at or above the trip threshold, so the alarm comes first"
            case .negativeMargin: return "the reconnect margin must not be negative"
            case .overflow: return "the thresholds plus the margin do not fit"
            case .outOfBounds(let bound): return bound.description
            }
        }
    }

    public let alarm: AlarmThreshold
    public let trip: TripThreshold
    public let reconnectMargin: ReconnectMargin
    /// Protected accounts (hospitals, life support) get keep-power and are never tripped.
    public let isProtected: Bool
    /// Pending accounts are never tripped; released ones take no control decision at all.
    public let feeControl: FeeControlState

    /// Settings where the alarm threshold is at or above the trip threshold.
    public init(
        alarm: AlarmThreshold, trip: TripThreshold,
        reconnectMargin: ReconnectMargin = ReconnectMargin(Money(microYuan: 5_000_000)),
        isProtected: Bool = false, feeControl: FeeControlState = .active
    ) throws(Problem) {
        // Bounded, so that the reconnect and release levels below cannot overflow.
        do throws(AmountOutOfBounds) {
            try alarm.balance.checkWithin(AmountBounds.threshold, field: "alarm threshold")
            try trip.balance.checkWithin(AmountBounds.threshold, field: "trip threshold")
            try reconnectMargin.amount.checkWithin(AmountBounds.threshold, field: "reconnect margin")
        } catch {
            throw .outOfBounds(error)
        }
        guard alarm.balance >= trip.balance else { throw .alarmBelowTrip }
        guard reconnectMargin.amount >= .zero else { throw .negativeMargin }
        guard alarm.balance.adding(reconnectMargin.amount) != nil else { throw .overflow }
        self.alarm = alarm
        self.trip = trip
        self.reconnectMargin = reconnectMargin
        self.isProtected = isProtected
        self.feeControl = feeControl
    }

    /// The balance a tripped meter must exceed to be allowed to close.
    public var reconnectLevel: Money {
        Money(microYuan: trip.balance.microYuan + reconnectMargin.amount.microYuan)
    }

    /// The balance an alarmed meter must exceed for the alarm to be released.
    public var alarmReleaseLevel: Money {
        Money(microYuan: alarm.balance.microYuan + reconnectMargin.amount.microYuan)
    }
}
