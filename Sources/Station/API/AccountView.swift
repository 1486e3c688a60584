import ChargeControl
import Foundation
import Store
import Tariffs

/// An account as `GET /v1/accounts/ID` shows it: money as strings with micro-yuan beside them,
/// the effective thresholds (the account's own or the station's), instants in the station zone.
struct AccountView: Encodable {
    let record: AccountRecord
    let alarm: Money
    let trip: Money
    let zone: TimeZone

    let isProtected: Bool
    /// The days-left forecast (`GET /v1/accounts/ID` only).
    let forecast: DaysLeftForecast?

    init(_ record: AccountRecord, rules: EvaluationRules, zone: TimeZone, forecast: DaysLeftForecast? = nil) {
        self.record = record
        self.forecast = forecast
        // The thresholds in force: the account's, its class's or the station's.
        let settings = try? rules.settings(for: record)
        alarm = settings?.alarm.balance ?? record.alarmThreshold ?? rules.defaultAlarm.balance
        trip = settings?.trip.balance ?? record.tripThreshold ?? rules.defaultTrip.balance
        isProtected = settings?.isProtected ?? record.isProtected
        self.zone = zone
    }

    enum CodingKeys: String, CodingKey {
        case accountID = "account_id", meterAddress = "meter_address", terminalID = "terminal_id", tariff, region
        case customerClass = "customer_class"
        case balanceYuan = "balance_yuan", balanceMicroYuan = "balance_micro_yuan", state, relay, alarm
        case keepPower = "keep_power", isProtected = "protected", lastReadingAt = "last_reading_at"
        case alarmYuan = "alarm_yuan", tripYuan = "trip_yuan", feeControl = "fee_control"
        case daysLeft = "days_left", dailySpendYuan = "daily_spend_yuan", reachesTripAt = "reaches_trip_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(record.id, forKey: .accountID)
        try c.encode(record.meterAddress, forKey: .meterAddress)
        try c.encode(record.terminalID, forKey: .terminalID)
        try c.encode(record.tariff, forKey: .tariff)
        try c.encode(record.region, forKey: .region)
        try c.encode(record.customerClass, forKey: .customerClass)
        try c.encode(record.balance.yuanString, forKey: .balanceYuan)
        try c.encode(record.balance.microYuan, forKey: .balanceMicroYuan)
        try c.encode(record.state.rawValue, forKey: .state)
        try c.encode(record.meter.relay.rawValue, forKey: .relay)
        try c.encode(record.meter.alarm, forKey: .alarm)
        try c.encode(record.meter.keepPower, forKey: .keepPower)
        try c.encode(isProtected, forKey: .isProtected)
        try c.encode(record.lastReadingAt.map { RFC3339.format($0, in: zone) }, forKey: .lastReadingAt)
        try c.encode(alarm.yuanString, forKey: .alarmYuan)
        try c.encode(trip.yuanString, forKey: .tripYuan)
        try c.encode(record.feeControl.rawValue, forKey: .feeControl)
        if let forecast {
            // null days_left: nothing spent recently, the balance lasts indefinitely.
            try c.encode(forecast.daysLeft, forKey: .daysLeft)
            try c.encode(forecast.dailySpend.yuanString, forKey: .dailySpendYuan)
            try c.encode(forecast.reachesTripAt.map { RFC3339.format($0, in: zone) }, forKey: .reachesTripAt)
        }
    }
}
