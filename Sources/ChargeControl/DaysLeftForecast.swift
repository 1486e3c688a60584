import Foundation
import Tariffs

/// Spending over a recent stretch of time: the charges of recent intervals.
public struct SpendSample: Sendable, Hashable {
    public let from: Date
    public let to: Date
    public let charge: Money

    public init(from: Date, to: Date, charge: Money) {
        self.from = from
        self.to = to
        self.charge = charge
    }
}

/// How long the balance lasts at recent spending, down to the trip threshold: for early
/// "please pay" warnings before the alarm threshold is reached.
public struct DaysLeftForecast: Sendable, Hashable {
    /// The stretch of recent spending the station forecasts from: seven days, in seconds.
    public static let window: Int64 = 7 * 86_400

    /// Recent spending per day (micro-yuan, truncated).
    public let dailySpend: Money
    /// Whole days until the balance reaches the trip threshold; `nil` when nothing was spent
    /// recently (the balance lasts indefinitely), 0 when already there.
    public let daysLeft: Int64?
    /// When the balance is expected to reach the trip threshold; `nil` like `daysLeft`.
    public let reachesTripAt: Date?

    /// Forecasts from `samples` (negative charges and empty intervals are ignored) at `now`.
    public init(balance: Money, trip: TripThreshold, samples: [SpendSample], at now: Date) {
        var seconds: Int64 = 0
        var spent: Int64 = 0
        for sample in samples {
            let length = sample.to.unixSeconds - sample.from.unixSeconds
            guard length > 0, sample.charge >= .zero else { continue }
            let (nextSeconds, overflowA) = seconds.addingReportingOverflow(length)
            let (nextSpent, overflowB) = spent.addingReportingOverflow(sample.charge.microYuan)
            if overflowA || overflowB { break }
            seconds = nextSeconds
            spent = nextSpent
        }
        guard seconds > 0, spent > 0 else {
            dailySpend = .zero
            daysLeft = nil
            reachesTripAt = nil
            return
        }
        dailySpend = Money(microYuan: multiplyDivide(spent, 86_400, seconds) ?? Int64.max)
        let headroom = balance.subtracting(trip.balance)?.microYuan ?? Int64.max
        guard headroom > 0 else {
            daysLeft = 0
            reachesTripAt = now
            return
        }
        // Clamp to a century so that the date stays meaningful for a nearly idle meter.
        let century: Int64 = 100 * 366 * 86_400
        let secondsLeft = min(century, multiplyDivide(headroom, seconds, spent) ?? century)
        daysLeft = secondsLeft / 86_400
        reachesTripAt = Date(unixSeconds: now.unixSeconds + secondsLeft)
    }
}
