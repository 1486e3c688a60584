import ChargeControl
import Foundation
import Hummingbird
import Store
import Tariffs

/// `GET /v1/accounts/ID/statement?months=6`: the account's billing months newest first, the one
/// under way included (`"complete": false`). Money is the ledger's to the micro-yuan (six
/// decimals), energy the meter's registers in kWh; see `StatementFold` for what each field is.
enum StatementRoutes {
    /// Months without `months`, and the most one statement shows.
    static let defaultMonths = 6, maxMonths = 24

    struct Month: Encodable {
        let m: StatementMonth
        let zone: TimeZone
        let now: Date

        enum CodingKeys: String, CodingKey {
            case month, from, to, complete, kwh
            case startKWh = "start_kwh", endKWh = "end_kwh", registersKWh = "registers_kwh"
            case startReadingAt = "start_reading_at", endReadingAt = "end_reading_at"
            case chargeYuan = "charge_yuan", paymentsYuan = "payments_yuan", adjustmentsYuan = "adjustments_yuan"
            case openingBalanceYuan = "opening_balance_yuan", closingBalanceYuan = "closing_balance_yuan"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(m.month.label, forKey: .month)
            try c.encode(RFC3339.format(m.month.from, in: zone), forKey: .from)
            try c.encode(RFC3339.format(m.month.to, in: zone), forKey: .to)
            try c.encode(m.month.to <= now, forKey: .complete)
            // null without readings: every month has every key.
            try c.encode(m.start?.total.kWhString, forKey: .startKWh)
            try c.encode(m.end?.total.kWhString, forKey: .endKWh)
            try c.encode(m.energy?.kWhString, forKey: .kwh)
            try c.encode(m.registerEnergy.map { e in
                Dictionary(uniqueKeysWithValues: TariffRegister.allCases.map { ($0.name, e[$0].kWhString) })
            }, forKey: .registersKWh)
            try c.encode(m.start.map { RFC3339.format($0.collectedAt, in: zone) }, forKey: .startReadingAt)
            try c.encode(m.end.map { RFC3339.format($0.collectedAt, in: zone) }, forKey: .endReadingAt)
            try c.encode(m.charge.exactYuanString, forKey: .chargeYuan)
            try c.encode(m.payments.exactYuanString, forKey: .paymentsYuan)
            try c.encode(m.adjustments.exactYuanString, forKey: .adjustmentsYuan)
            try c.encode(m.openingBalance.exactYuanString, forKey: .openingBalanceYuan)
            try c.encode(m.closingBalance.exactYuanString, forKey: .closingBalanceYuan)
        }
    }

    struct Statement: Encodable {
        let accountID: String
        let readingDay: Int
        let months: [Month]

        enum CodingKeys: String, CodingKey { case accountID = "account_id", readingDay = "reading_day", months }
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.get, "accounts/:id/statement", .readAccount) { request, context in
            let raw = try context.parameters.require("id")
            let id = raw.removingPercentEncoding ?? raw
            let count = try months(request.uri.queryParameters.get("months"))
            let zone = station.settings.timeZone
            let now = station.core.clock.now
            let months = BillingCalendar.months(count, readingDay: station.settings.readingDay, endingWith: now, zone: zone)
            let ledger = try await station.core.store.statementLedger(account: id, since: months[0].from)
            let folded: [StatementMonth]
            do {
                folded = try StatementFold.fold(months: months, balanceBefore: ledger.balanceBefore, entries: ledger.entries,
                                                readings: ledger.readings, readingBeforeGone: ledger.readingBeforeGone)
            } catch {
                throw APIError.unprocessable("account \(id): \(error)")
            }
            return try JSONResponse.make(Statement(accountID: id, readingDay: station.settings.readingDay,
                                                   months: folded.reversed().map { Month(m: $0, zone: zone, now: now) }))
        }
    }

    /// `months`: 1...24, default 6.
    static func months(_ raw: String?) throws -> Int {
        guard let raw else { return defaultMonths }
        guard let value = Int(raw), (1...maxMonths).contains(value) else {
            throw APIError.badRequest("months must be an integer from 1 to \(maxMonths), got \"\(raw)\"")
        }
        return value
    }
}
