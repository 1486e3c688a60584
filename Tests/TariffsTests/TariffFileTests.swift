import Foundation
import Testing
@testable import Tariffs

@Suite struct TariffFileTests {
    @Test func sampleParses() throws {
        let tariff = try sampleTariff()
        #expect(tariff.name == "residential-tou-tiered")
        #expect(tariff.timeZone.identifier == "Asia/Shanghai")
        #expect(tariff.priceVersions.count == 2)
        #expect(tariff.priceVersions[0].prices.valley == Price(microYuanPerKWh: 288_000))
        #expect(tariff.schedule.periods.map(\.register) == [.peak, .valley])
        #expect(tariff.tiers.steps.count == 3)
        #expect(tariff.tiers.steps[1].upTo == kWh("4800"))
        #expect(tariff.tiers.steps[2].surcharge == Price(microYuanPerKWh: 300_000))
    }

    @Test func shippedExampleParses() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config/tariffs/zhejiang-residential-tou-tiered.toml").path
        let tariff = try Tariff.load(path: path)
        #expect(tariff.name == "zhejiang-residential-tou-tiered")
        // 2,800 kWh in a year at peak: 2,800 × 0.568 + 40 × 0.05 = 1,592.40 yuan.
        let quote = try tariff.quote(consumption(peak: "2800"), at: instant("2025-06-01T12:00:00+08:00"), yearToDate: .zero)
        #expect(quote.charge == yuan("1592.40"))
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: TariffError.self) { try Tariff.load(path: "/nonexistent/t.toml") }
        do {
            _ = try Tariff.load(path: "/nonexistent/t.toml")
        } catch {
            #expect(error.file == "/nonexistent/t.toml")
        }
    }

    /// Each case replaces one piece of the sample and names the error it must produce.
    @Test(arguments: [
        ("sharp  = \"0.5680\"", "sharp  = \"0.56801\"", "t.toml: prices[0].sharp: \"0.56801\" has 5 decimals; at most 4 allowed"),
        ("peak   = \"0.6000\"", "peak   = \"x\"", "t.toml: prices[1].peak: \"x\" is not a decimal number"),
        ("peak   = \"0.6000\"", "peak   = \"-0.6\"", "t.toml: prices[1].peak: \"-0.6\" must not be negative"),
        ("peak   = \"0.6000\"", "", "t.toml: prices[1].peak: missing"),
        ("start = \"22:00\"", "start = \"08:00\"", "t.toml: periods[1].start: \"08:00\" overlaps periods[0], which starts at the same time"),
        ("start = \"22:00\"", "start = \"24:00\"", "t.toml: periods[1].start: \"24:00\" is not a time of day \"HH:MM\" from 00:00 to 23:59"),
        ("register = \"valley\"", "register = \"mid\"", "t.toml: periods[1].register: unknown register \"mid\"; expected sharp, peak, flat or valley"),
        ("up_to_kwh = \"4800\"", "up_to_kwh = \"2000\"", "t.toml: tiers.steps[1].up_to_kwh: \"2000\" is not above tiers.steps[0].up_to_kwh \"2760\"; steps must be in increasing order"),
        ("up_to_kwh = \"4800\"\n", "", "t.toml: tiers.steps[1].up_to_kwh: missing; only the last step may omit its bound"),
        ("[[tiers.steps]]\nsurcharge = \"0.3000\"", "[[tiers.steps]]\nup_to_kwh = \"9000\"\nsurcharge = \"0.3000\"", "t.toml: tiers.steps[2].up_to_kwh: the last step must have no bound (it takes everything above the previous step)"),
        ("up_to_kwh = \"2760\"", "up_to_kwh = \"2760.001\"", "t.toml: tiers.steps[0].up_to_kwh: \"2760.001\" has 3 decimals; at most 2 allowed"),
        ("year_start = \"01-01\"", "year_start = \"02-29\"", "t.toml: tiers.year_start: \"02-29\" is not a day of the year \"MM-DD\" (February 29 is not allowed)"),
        ("timezone = \"Asia/Shanghai\"", "timezone = \"Mars/Olympus\"", "t.toml: timezone: unknown time zone \"Mars/Olympus\"; expected an IANA name such as \"Asia/Shanghai\""),
        ("name = \"residential-tou-tiered\"", "", "t.toml: name: missing"),
        ("effective = \"2025-07-01T00:00:00+08:00\"", "effective = \"2025-07-01\"", "t.toml: prices[1].effective: \"2025-07-01\" is not an RFC 3339 instant with offset, such as \"2024-01-01T00:00:00+08:00\""),
        ("effective = \"2025-07-01T00:00:00+08:00\"", "effective = \"2024-01-01T00:00:00+08:00\"", "t.toml: prices[1].effective: \"2024-01-01T00:00:00+08:00\" is the same instant as prices[0].effective"),
        ("register = \"peak\"", "register = \"peak\"\nend = \"22:00\"", "t.toml: periods[0].end: unknown key; expected one of start, register"),
        // Bounds (AmountBounds, issue 17): the bound itself parses (sampleBoundsParse), one step above does not.
        ("peak   = \"0.6000\"", "peak   = \"100.0001\"", "t.toml: prices[1].peak: \"100.0001\" is above the bound of 100.0000 yuan per kWh"),
        ("surcharge = \"0.3000\"", "surcharge = \"922337203685.4775\"", "t.toml: tiers.steps[2].surcharge: \"922337203685.4775\" is above the bound of 100.0000 yuan per kWh"),
        ("sharp  = \"0.5680\"", "sharp  = \"9223372036854.7759\"", "t.toml: prices[0].sharp: \"9223372036854.7759\" is out of range"),
        ("up_to_kwh = \"4800\"", "up_to_kwh = \"100000000.01\"", "t.toml: tiers.steps[1].up_to_kwh: \"100000000.01\" is above the bound of 100000000.00 kWh a year"),
    ])
    func refusesWithFileKeyAndProblem(_ original: String, _ replacement: String, _ message: String) {
        guard let range = sampleTariffText.range(of: original) else {
            Issue.record("test case does not match the sample: \(original)")
            return
        }
        let text = sampleTariffText.replacingCharacters(in: range, with: replacement)
        #expect(throws: TariffError.self) { try Tariff.parse(text, file: "t.toml") }
        do {
            _ = try Tariff.parse(text, file: "t.toml")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func floatPricesAreRefusedWithAReason() throws {
        let text = sampleTariffText.replacingOccurrences(of: "valley = \"0.2880\"", with: "valley = 0.288")
        do {
            _ = try Tariff.parse(text, file: "t.toml")
            Issue.record("a float price was accepted")
        } catch {
            #expect(error.key == "prices[0].valley")
            #expect(error.problem.hasPrefix("expected a quoted string such as \"0.5680\", found a floating-point number"))
        }
    }

    @Test func emptyPricesAndPeriodsAreRefused() {
        let noPrices = """
            name = "x"
            timezone = "UTC"
            prices = []
            [[periods]]
            start = "00:00"
            register = "flat"
            """
        #expect(throws: TariffError(file: "t.toml", key: "prices", problem: "no prices; at least one [[prices]] table is required")) {
            try Tariff.parse(noPrices, file: "t.toml")
        }
        let noPeriods = """
            name = "x"
            timezone = "UTC"
            periods = []
            [[prices]]
            effective = "2024-01-01T00:00:00Z"
            sharp = "1"
            peak = "1"
            flat = "1"
            valley = "1"
            """
        #expect(throws: TariffError(file: "t.toml", key: "periods", problem: "no periods; at least one is required to cover the day")) {
            try Tariff.parse(noPeriods, file: "t.toml")
        }
    }

    @Test func tiersAreOptional() throws {
        let text = """
            name = "flat"
            timezone = "UTC"
            [[prices]]
            effective = "2024-01-01T00:00:00Z"
            sharp = "1"
            peak = "1"
            flat = "0.5"
            valley = "1"
            [[periods]]
            start = "00:00"
            register = "flat"
            """
        let tariff = try Tariff.parse(text, file: "flat.toml")
        #expect(tariff.tiers == .flat)
        let quote = try tariff.quote(consumption(flat: "10"), at: instant("2025-01-01T00:00:00Z"), yearToDate: kWh("100000"))
        #expect(quote.charge == yuan("5.00"))
    }

    @Test func syntaxErrorsNameThePosition() {
        do {
            _ = try Tariff.parse("name = \n", file: "t.toml")
            Issue.record("accepted bad TOML")
        } catch {
            #expect(error.file == "t.toml")
            #expect(error.key.hasPrefix("line 1"))
        }
    }
}
