import ChargeControl
import Foundation
import StationHarness
import Tariffs

/// p4: the pure core on one core. Rating intervals per second (goal ≥ 5,000,000/s), and the time
/// and memory to evaluate the control policy of many accounts.
struct RatingScenario {
    let ratingSeconds: Int
    let accounts: Int

    struct Result {
        let intervals: Int
        let ratingSeconds: Double
        let accounts: Int
        let policySeconds: Double
        let policyCommands: Int
        let accountsBytes: Int
        let peakRSSBytes: Int
        let checksum: Int64

        var perSecond: Int { Int(Double(intervals) / ratingSeconds) }
        var policyPerSecond: Int { Int(Double(accounts) / policySeconds) }

        var json: String {
            "{\"per_second\": \(perSecond), \"intervals\": \(intervals), \"seconds\": \(String(format: "%.3f", ratingSeconds)), "
                + "\"goal_per_second\": 5000000, \"policy_accounts\": \(accounts), "
                + "\"policy_seconds\": \(String(format: "%.3f", policySeconds)), \"policy_per_second\": \(policyPerSecond), "
                + "\"policy_commands\": \(policyCommands), \"policy_input_mb\": \(String(format: "%.1f", Double(accountsBytes) / 1_048_576)), "
                + "\"peak_rss_mb\": \(String(format: "%.1f", Double(peakRSSBytes) / 1_048_576))}"
        }

        var rows: [BenchRow] {
            [
                BenchRow(scenario: "p4", measure: "rating intervals per second (1 core)", value: "\(perSecond)", note: "goal ≥ 5000000"),
                BenchRow(scenario: "p4", measure: "intervals rated", value: "\(intervals)", note: String(format: "in %.2f s", ratingSeconds)),
                BenchRow(scenario: "p4", measure: "policy: accounts evaluated", value: "\(accounts)", note: String(format: "in %.3f s", policySeconds)),
                BenchRow(scenario: "p4", measure: "policy: accounts per second", value: "\(policyPerSecond)", note: "\(policyCommands) commands planned"),
                BenchRow(scenario: "p4", measure: "policy: input size", value: String(format: "%.1f MiB", Double(accountsBytes) / 1_048_576),
                         note: "balances, settings, meter states"),
                BenchRow(scenario: "p4", measure: "peak resident memory", value: String(format: "%.1f MiB", Double(peakRSSBytes) / 1_048_576), note: "VmHWM"),
            ]
        }
    }

    /// A residential TOU + three-step tariff with a price change mid-2026, built in code.
    static func tariff() throws -> Tariff {
        let zone = TimeZone(identifier: "Asia/Shanghai") ?? .current
        func price(_ micro: Int64) -> Price { Price(microYuanPerKWh: micro) }
        func minute(_ minutes: Int) -> MinuteOfDay { MinuteOfDay(minutes: minutes) ?? .endOfDay }
        return try Tariff(
            name: "bench", timeZone: zone,
            priceVersions: [
                PriceVersion(
                    effective: Date(timeIntervalSince1970: 1_704_038_400),  // 2024-01-01T00:00:00+08:00
                    prices: PerRegister(sharp: price(568_000), peak: price(568_000), flat: price(568_000), valley: price(288_000))),
                PriceVersion(
                    effective: Date(timeIntervalSince1970: 1_782_835_200),  // 2026-07-01T00:00:00+08:00
                    prices: PerRegister(sharp: price(600_000), peak: price(600_000), flat: price(550_000), valley: price(300_000))),
            ],
            schedule: TimeOfUseSchedule(
                periods: [.init(start: minute(480), register: .peak), .init(start: minute(1320), register: .valley)],
                timeZone: zone),
            tiers: AnnualTiers(yearStart: .januaryFirst, steps: [
                TierStep(upTo: Energy(hundredths: 276_000), surcharge: .zero),
                TierStep(upTo: Energy(hundredths: 480_000), surcharge: price(50_000)),
                TierStep(upTo: nil, surcharge: price(300_000)),
            ]))
    }

    struct Job {
        let consumption: Consumption
        let from: Date
        let to: Date
        let position: TierYearPosition
    }

    func run() throws -> Result {
        let tariff = try Self.tariff()
        // 15-minute intervals through 2026 (some cross the price change and the new year), at
        // positions all over the steps.
        let base = Date(timeIntervalSince1970: 1_767_196_800)  // 2026-01-01T00:00:00+08:00
        let jobs: [Job] = (0..<65_536).map { index in
            let mix = spread(index)
            let from = base.addingTimeInterval(TimeInterval(Int(mix % (366 * 96)) * 900))
            let peak = Int64(mix >> 20 & 0x3F)
            let valley = Int64(mix >> 26 & 0x3F)
            let consumption = Consumption(
                registers: PerRegister(sharp: .zero, peak: Energy(hundredths: peak), flat: .zero, valley: Energy(hundredths: valley)),
                total: Energy(hundredths: peak + valley))
            let position = tariff.position(yearToDate: Energy(hundredths: Int64(mix >> 32 % 600_000)), at: from)
            return Job(consumption: consumption, from: from, to: from.addingTimeInterval(900), position: position)
        }

        let clock = ContinuousClock()
        var checksum: Int64 = 0
        var rated = 0
        let budget = Duration.seconds(ratingSeconds)
        let started = clock.now
        var elapsed = Duration.zero
        while elapsed < budget {
            for job in jobs {
                let result = try tariff.rate(job.consumption, from: job.from, to: job.to, position: job.position)
                checksum &+= result.charge.microYuan
            }
            rated += jobs.count
            elapsed = clock.now - started
        }
        let ratingSeconds = elapsed.seconds

        // Policy over many accounts: the inputs the evaluator would hold in memory.
        let rssBefore = residentBytes()
        let calendar = try TripCalendar.parse(
            windows: ["Mon-Fri 08:00-16:00"], holidays: ["2026-10-01"],
            timeZone: TimeZone(identifier: "Asia/Shanghai") ?? .current)
        let policy = ControlPolicy(calendar: calendar)
        let settings = [
            try ControlSettings(alarm: AlarmThreshold(Money(microYuan: 20_000_000)), trip: TripThreshold(.zero)),
            try ControlSettings(alarm: AlarmThreshold(.zero), trip: TripThreshold(Money(microYuan: -10_000_000))),
            try ControlSettings(alarm: AlarmThreshold(Money(microYuan: 50_000_000)), trip: TripThreshold(.zero), isProtected: true),
        ]
        var balances: [Money] = []
        var classes: [UInt8] = []
        var states: [MeterState] = []
        balances.reserveCapacity(accounts)
        classes.reserveCapacity(accounts)
        states.reserveCapacity(accounts)
        for index in 0..<accounts {
            let mix = spread(index)
            balances.append(Money(microYuan: Int64(mix % 220_000_000) - 20_000_000))
            classes.append(UInt8(mix >> 40 % 3))
            states.append(MeterState(relay: mix >> 44 % 20 == 0 ? .open : .closed, alarm: mix >> 50 & 1 == 1, keepPower: false))
        }
        let inputBytes = residentBytes() - rssBefore
        let now = Date(timeIntervalSince1970: 1_790_740_800)  // 2026-09-30T10:00:00+08:00, a window
        var commands = 0
        let policyStarted = clock.now
        for index in 0..<accounts {
            let plan = policy.evaluate(
                balance: balances[index], settings: settings[Int(classes[index])], meter: states[index],
                data: .normal, at: now)
            commands += plan.commands.count
        }
        let policySeconds = (clock.now - policyStarted).seconds
        return Result(
            intervals: rated, ratingSeconds: ratingSeconds, accounts: accounts, policySeconds: policySeconds,
            policyCommands: commands, accountsBytes: inputBytes, peakRSSBytes: peakResidentBytes(), checksum: checksum)
    }
}

/// Deterministic, well-spread bits for input number `index` (Fibonacci hashing), so that every
/// run measures the same inputs without a random generator.
private func spread(_ index: Int) -> UInt64 {
    let mixed = UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
    return mixed ^ (mixed >> 29)
}

/// This process's resident set and its peak (`procStatusField` of /proc/self/status).
func residentBytes() -> Int { procStatusField("VmRSS", pid: getpid()) }
func peakResidentBytes() -> Int { procStatusField("VmHWM", pid: getpid()) }
