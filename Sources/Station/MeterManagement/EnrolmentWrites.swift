import ChargeControl
import DLT645
import Foundation
import Store
import Tariffs

/// What enrolling an account in fee control pushes into its meter (INTERFACES.md "Meter
/// management"): alarm amount limit 1 at the account's alarm threshold, limit 2 at
/// `[control] alarm2_yuan` (default half the alarm threshold, down to the fen), and the prices of
/// its tariff in force as the first price set (registers 1…4: sharp, peak, flat, valley).
public enum EnrolmentWrites {
    /// Why an account's values cannot go into its meter.
    public struct Unwritable: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    /// The settings to write, in the order they go out; nothing is queued when one cannot be written.
    public static func settings(for account: AccountRecord, rules: EvaluationRules, at now: Date) throws -> [ParameterSetting] {
        let settings = try rules.settings(for: account)
        let alarm = settings.alarm.balance
        let alarm2 = rules.alarm2(for: account, settings: settings)
        let tariff = try rules.tariff(for: account)
        guard let version = tariff.prices(at: now) else {
            throw Unwritable(description: "tariff \"\(tariff.name)\" has no prices in force at \(RFC3339.format(now, in: tariff.timeZone))")
        }
        return [
            try amount(.alarmAmountLimit1, alarm, "alarm threshold"),
            try amount(.alarmAmountLimit2, alarm2, "alarm limit 2"),
        ] + (try prices(version.prices, set: DataIdentifier.tariffPrice))
    }

    /// A price set's four writes (`DataIdentifier.tariffPrice` or `.secondSetTariffPrice`).
    public static func prices(_ prices: PerRegister<Price>, set identifier: (Int) -> DataIdentifier) throws -> [ParameterSetting] {
        try TariffRegister.allCases.map { register in
            let price = prices[register]
            do throws(DLT645Error) {
                _ = try MeterUnits.priceUnits(fromMicroYuanPerKWh: price.microYuanPerKWh)  // four decimals at most
                return ParameterSetting(identifier: identifier(register.rawValue).description,
                                        value: try ParameterFormat.price.canonical(price.yuanString))
            } catch {
                throw Unwritable(description: "price of register \(register.rawValue) (\(price)) cannot go into a meter: \(error)")
            }
        }
    }

    /// An amount written as `XXXXXX.XX` yuan: whole fen, 0…999999.99.
    static func amount(_ identifier: DataIdentifier, _ money: Money, _ what: String) throws -> ParameterSetting {
        guard money.microYuan >= 0, money.microYuan % MeterUnits.microYuanPerFen == 0,
              money.microYuan / MeterUnits.microYuanPerFen <= NumberFormat.unsignedHundredthsLimit
        else {
            throw Unwritable(description: "\(what) \(money.exactYuanString) cannot go into a meter: "
                + "its limits hold whole fen from 0.00 to 999999.99 yuan")
        }
        return ParameterSetting(identifier: identifier.description, value: money.yuanString)
    }
}
