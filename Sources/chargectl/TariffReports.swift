import Foundation
import Tariffs

/// The human summary `chargectl tariff check` prints for a valid file.
struct TariffSummary {
    let text: String

    init(_ tariff: Tariff) {
        var lines = ["tariff \"\(tariff.name)\" is valid (time zone \(tariff.timeZone.identifier))"]
        lines.append("prices: \(tariff.priceVersions.count) version(s)")
        for version in tariff.priceVersions {
            let prices = TariffRegister.allCases.map { "\($0.name) \(version.prices[$0].yuanString)" }
            lines.append("  from \(RFC3339.format(version.effective, in: tariff.timeZone)): " + prices.joined(separator: ", "))
        }
        lines.append("periods:")
        let periods = tariff.schedule.periods
        for (index, period) in periods.enumerated() {
            let end = periods[(index + 1) % periods.count].start
            lines.append("  \(period.start)-\(end) \(period.register.name)")
        }
        lines.append("tiers: year starts \(tariff.tiers.yearStart)")
        var lower = Energy.zero
        for step in tariff.tiers.steps {
            let range = step.upTo.map { "\(lower.kWhString)-\($0.kWhString) kWh" } ?? "above \(lower.kWhString) kWh"
            lines.append("  \(range): surcharge \(step.surcharge.yuanString)")
            lower = step.upTo ?? lower
        }
        text = lines.joined(separator: "\n")
    }
}

/// What `chargectl tariff quote` prints, as text or JSON.
struct QuoteReport {
    let tariff: Tariff
    let quote: Quote

    var text: String {
        var lines = ["tariff \(tariff.name) at \(RFC3339.format(quote.at, in: tariff.timeZone)), \(quote.yearToDate.kWhString) kWh so far in the tier year"]
        for register in TariffRegister.allCases where quote.consumption.registers[register] > .zero {
            lines.append("  \(register.name): \(quote.consumption.registers[register].kWhString) kWh × \(quote.prices.prices[register].yuanString) = \(quote.registerCharges[register].yuanString)")
        }
        for part in quote.tierParts {
            lines.append("  step \(part.step + 1): \(part.energy.kWhString) kWh × \(part.surcharge.yuanString) = \(part.charge.yuanString)")
        }
        lines.append("charge: \(quote.charge.yuanString) yuan (\(quote.charge.microYuan) micro-yuan)")
        return lines.joined(separator: "\n")
    }

    var json: String {
        func string(_ value: String) -> String {
            var escaped = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case "\n": escaped += "\\n"
                case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return escaped + "\""
        }
        let registers = TariffRegister.allCases.map { register in
            "\(string(register.name)): {\"kwh\": \(string(quote.consumption.registers[register].kWhString)), "
                + "\"price_yuan\": \(string(quote.prices.prices[register].yuanString)), "
                + "\"charge_yuan\": \(string(quote.registerCharges[register].yuanString)), "
                + "\"charge_micro_yuan\": \(quote.registerCharges[register].microYuan)}"
        }
        let tiers = quote.tierParts.map { part in
            "{\"step\": \(part.step + 1), \"kwh\": \(string(part.energy.kWhString)), "
                + "\"surcharge_yuan\": \(string(part.surcharge.yuanString)), "
                + "\"charge_yuan\": \(string(part.charge.yuanString)), \"charge_micro_yuan\": \(part.charge.microYuan)}"
        }
        let fields = [
            "\"tariff\": \(string(tariff.name))",
            "\"at\": \(string(RFC3339.format(quote.at, in: tariff.timeZone)))",
            "\"ytd_kwh\": \(string(quote.yearToDate.kWhString))",
            "\"registers\": {" + registers.joined(separator: ", ") + "}",
            "\"tiers\": [" + tiers.joined(separator: ", ") + "]",
            "\"energy_charge_yuan\": \(string(quote.energyCharge.yuanString))",
            "\"tier_surcharge_yuan\": \(string(quote.tierSurcharge.yuanString))",
            "\"charge_yuan\": \(string(quote.charge.yuanString))",
            "\"charge_micro_yuan\": \(quote.charge.microYuan)",
        ]
        return "{" + fields.joined(separator: ", ") + "}"
    }
}
