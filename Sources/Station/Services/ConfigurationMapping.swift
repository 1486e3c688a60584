import ChargeControl
import StationConfig
import Tariffs

// How the configuration becomes the station's settings, in one place for start-up and reload.

extension EvaluationRules {
    /// The evaluation rules of `c` with the loaded tariffs.
    init(_ c: StationConfiguration, tariffs: [String: Tariff]) {
        self.init(
            tariffs: tariffs, policy: ControlPolicy(calendar: c.control.calendar), limits: c.validation,
            defaultAlarm: c.control.defaults.alarm, defaultTrip: c.control.defaults.trip,
            reconnectMargin: c.control.defaults.reconnectMargin, commandLifetime: c.dispatch.deadline,
            classSettings: c.control.classes,
            customerClasses: Set(c.control.classes.keys).union(c.collection.classes.keys),
            maxPayment: c.payments.maxAmount)
        alarm2 = c.control.alarm2
        clockToleranceSeconds = c.meters.clockTolerance.components.seconds
    }
}

extension ReadingStrategy {
    /// A collection strategy from `[collection]` or `[collection.classes.NAME]`.
    init(_ s: CollectionStrategy) {
        self.init(interval: s.interval, jitter: s.jitter, staleness: s.staleness)
    }
}
