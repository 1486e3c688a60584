import SeededRandom
import Foundation
import Testing
@testable import Tariffs

/// SplitMix64: a tiny seeded generator, so property tests replay exactly from their seed.

/// An instant from RFC 3339 text; test input is known good.
func instant(_ text: String) -> Date {
    guard let date = RFC3339.parse(text) else {
        Issue.record("bad test instant \(text)")
        return Date(timeIntervalSince1970: 0)
    }
    return date
}

func kWh(_ text: String) -> Energy {
    (try? Energy(kWh: text)) ?? Energy(hundredths: -1)
}

func yuan(_ text: String) -> Money {
    (try? Money(yuan: text, maxDecimals: 6)) ?? Money(microYuan: Int64.min)
}

let shanghai = TimeZone(identifier: "Asia/Shanghai")!

/// The INTERFACES.md example with a second price version from 2025-07-01.
let sampleTariffText = """
name = "residential-tou-tiered"
timezone = "Asia/Shanghai"

[[prices]]
effective = "2024-01-01T00:00:00+08:00"
sharp  = "0.5680"
peak   = "0.5680"
flat   = "0.5680"
valley = "0.2880"

[[prices]]
effective = "2025-07-01T00:00:00+08:00"
sharp  = "0.6000"
peak   = "0.6000"
flat   = "0.5000"
valley = "0.3000"

[[periods]]
start = "08:00"
register = "peak"
[[periods]]
start = "22:00"
register = "valley"

[tiers]
year_start = "01-01"
[[tiers.steps]]
up_to_kwh = "2760"
surcharge = "0.0000"
[[tiers.steps]]
up_to_kwh = "4800"
surcharge = "0.0500"
[[tiers.steps]]
surcharge = "0.3000"
"""

func sampleTariff() throws -> Tariff {
    try Tariff.parse(sampleTariffText, file: "sample.toml")
}

func consumption(sharp: String = "0", peak: String = "0", flat: String = "0", valley: String = "0") -> Consumption {
    Consumption(registers: PerRegister(sharp: kWh(sharp), peak: kWh(peak), flat: kWh(flat), valley: kWh(valley)))
        ?? .zero
}
