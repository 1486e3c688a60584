import Foundation
import TOMLKit

extension Tariff {
    /// Parses and validates a tariff file's text (INTERFACES.md, "Tariff file").
    ///
    /// - Parameters:
    ///   - text: the TOML text.
    ///   - file: the name to put in errors, as the operator knows the file.
    /// - Throws: ``TariffError`` naming the file, the key and the problem.
    public static func parse(_ text: String, file: String) throws(TariffError) -> Tariff {
        let root: TOMLTable
        do {
            root = try SafeTOML.table(from: text)
        } catch {
            throw TariffError(file: file, key: error.position, problem: error.problem)
        }
        return try TariffFileReader(file: file).tariff(from: root)
    }

    /// Reads and parses the tariff file at `path`; errors name the file as `path`.
    public static func load(path: String) throws(TariffError) -> Tariff {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TariffError(file: path, key: "", problem: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(text, file: path)
    }
}

/// Walks the TOML tree of a tariff file, keeping the key path for error messages.
private struct TariffFileReader {
    let file: String

    func fail(_ key: String, _ problem: String) -> TariffError {
        TariffError(file: file, key: key, problem: problem)
    }

    func tariff(from root: TOMLTable) throws(TariffError) -> Tariff {
        try onlyKnownKeys(root, path: "", allowed: ["name", "timezone", "prices", "periods", "tiers"])
        let name = try string(root, "name", path: "")
        guard !name.isEmpty else { throw fail("name", "must not be empty") }
        let zoneName = try string(root, "timezone", path: "")
        guard let zone = TimeZone(identifier: zoneName) else {
            throw fail("timezone", "unknown time zone \"\(zoneName)\"; expected an IANA name such as \"Asia/Shanghai\"")
        }
        let versions = try priceVersions(root)
        let schedule = try periods(root, zone: zone)
        let tiers = try annualTiers(root)
        do {
            return try Tariff(name: name, timeZone: zone, priceVersions: versions, schedule: schedule, tiers: tiers)
        } catch {
            // Duplicates and emptiness were reported with their keys above; this is a backstop.
            throw fail("prices", error.description)
        }
    }

    // MARK: prices

    func priceVersions(_ root: TOMLTable) throws(TariffError) -> [PriceVersion] {
        let tables = try arrayOfTables(root, "prices", path: "")
        guard !tables.isEmpty else { throw fail("prices", "no prices; at least one [[prices]] table is required") }
        var versions: [PriceVersion] = []
        var seen: [Int64: Int] = [:]
        for (index, table) in tables.enumerated() {
            let path = "prices[\(index)]"
            try onlyKnownKeys(table, path: path, allowed: ["effective"] + TariffRegister.allCases.map(\.name))
            let text = try string(table, "effective", path: path)
            guard let effective = RFC3339.parse(text) else {
                throw fail(path + ".effective", "\"\(text)\" is not an RFC 3339 instant with offset, such as \"2024-01-01T00:00:00+08:00\"")
            }
            if let earlier = seen[effective.unixSeconds] {
                throw fail(path + ".effective", "\"\(text)\" is the same instant as prices[\(earlier)].effective")
            }
            seen[effective.unixSeconds] = index
            var prices = PerRegister(repeating: Price.zero)
            for register in TariffRegister.allCases {
                prices[register] = try price(table, register.name, path: path)
            }
            versions.append(PriceVersion(effective: effective, prices: prices))
        }
        return versions
    }

    // MARK: periods

    func periods(_ root: TOMLTable, zone: TimeZone) throws(TariffError) -> TimeOfUseSchedule {
        let tables = try arrayOfTables(root, "periods", path: "")
        guard !tables.isEmpty else { throw fail("periods", "no periods; at least one is required to cover the day") }
        var periods: [TimeOfUseSchedule.Period] = []
        var seen: [MinuteOfDay: Int] = [:]
        for (index, table) in tables.enumerated() {
            let path = "periods[\(index)]"
            try onlyKnownKeys(table, path: path, allowed: ["start", "register"])
            let startText = try string(table, "start", path: path)
            guard let start = MinuteOfDay(startText) else {
                throw fail(path + ".start", "\"\(startText)\" is not a time of day \"HH:MM\" from 00:00 to 23:59")
            }
            if let earlier = seen[start] {
                throw fail(path + ".start", "\"\(startText)\" overlaps periods[\(earlier)], which starts at the same time")
            }
            seen[start] = index
            let registerName = try string(table, "register", path: path)
            guard let register = TariffRegister(name: registerName) else {
                throw fail(path + ".register", "unknown register \"\(registerName)\"; expected sharp, peak, flat or valley")
            }
            periods.append(TimeOfUseSchedule.Period(start: start, register: register))
        }
        do {
            return try TimeOfUseSchedule(periods: periods, timeZone: zone)
        } catch {
            throw fail("periods", error.description)
        }
    }

    // MARK: tiers

    func annualTiers(_ root: TOMLTable) throws(TariffError) -> AnnualTiers {
        guard let value = root["tiers"] else { return .flat }
        guard let table = value.table else { throw fail("tiers", "expected a table [tiers], found \(describe(value))") }
        try onlyKnownKeys(table, path: "tiers", allowed: ["year_start", "steps"])
        var yearStart = MonthDay.januaryFirst
        if table["year_start"] != nil {
            let text = try string(table, "year_start", path: "tiers")
            guard let parsed = MonthDay(text) else {
                throw fail("tiers.year_start", "\"\(text)\" is not a day of the year \"MM-DD\" (February 29 is not allowed)")
            }
            yearStart = parsed
        }
        let tables = try arrayOfTables(table, "steps", path: "tiers")
        guard !tables.isEmpty else { throw fail("tiers.steps", "no steps; at least one (unbounded) step is required") }
        var steps: [TierStep] = []
        var previous: (bound: Energy, text: String)?
        for (index, step) in tables.enumerated() {
            let path = "tiers.steps[\(index)]"
            try onlyKnownKeys(step, path: path, allowed: ["up_to_kwh", "surcharge"])
            let surcharge = try price(step, "surcharge", path: path)
            var bound: Energy?
            if step["up_to_kwh"] != nil {
                let text = try string(step, "up_to_kwh", path: path)
                let energy: Energy
                do { energy = try Energy(kWh: text) } catch { throw fail(path + ".up_to_kwh", error.description) }
                guard energy <= AmountBounds.tierEnergy else {
                    throw fail(path + ".up_to_kwh", "\"\(text)\" is above the bound of \(AmountBounds.tierEnergy.kWhString) kWh a year")
                }
                if let previous, energy <= previous.bound {
                    throw fail(path + ".up_to_kwh", "\"\(text)\" is not above tiers.steps[\(index - 1)].up_to_kwh \"\(previous.text)\"; steps must be in increasing order")
                }
                guard energy > .zero else { throw fail(path + ".up_to_kwh", "\"\(text)\" must be above zero") }
                previous = (energy, text)
                bound = energy
            } else if index != tables.count - 1 {
                throw fail(path + ".up_to_kwh", "missing; only the last step may omit its bound")
            }
            if index == tables.count - 1, bound != nil {
                throw fail(path + ".up_to_kwh", "the last step must have no bound (it takes everything above the previous step)")
            }
            steps.append(TierStep(upTo: bound, surcharge: surcharge))
        }
        do {
            return try AnnualTiers(yearStart: yearStart, steps: steps)
        } catch {
            throw fail("tiers.steps", error.description)
        }
    }

    // MARK: values

    func describe(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .table: return "a table"
        case .array: return "an array"
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a floating-point number"
        case .bool: return "a boolean"
        case .date, .time, .dateTime: return "a TOML date/time"
        }
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func onlyKnownKeys(_ table: TOMLTable, path: String, allowed: [String]) throws(TariffError) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            throw fail(join(path, key), "unknown key; expected one of " + allowed.joined(separator: ", "))
        }
    }

    func string(_ table: TOMLTable, _ key: String, path: String) throws(TariffError) -> String {
        guard let value = table[key] else { throw fail(join(path, key), "missing") }
        guard let text = value.string else {
            if value.type == .double || value.type == .int {
                throw fail(join(path, key), "expected a quoted string such as \"0.5680\", found \(describe(value)); amounts are written as strings so that no binary rounding can creep in")
            }
            throw fail(join(path, key), "expected a string, found \(describe(value))")
        }
        return text
    }

    func price(_ table: TOMLTable, _ key: String, path: String) throws(TariffError) -> Price {
        let text = try string(table, key, path: path)
        let price: Price
        do {
            price = try Price(yuanPerKWh: text)
        } catch {
            throw fail(join(path, key), error.description)
        }
        // Bounded so that no register step × price can overflow (AmountBounds).
        guard price <= AmountBounds.price else {
            throw fail(join(path, key), "\"\(text)\" is above the bound of \(AmountBounds.price.yuanString) yuan per kWh")
        }
        return price
    }

    func arrayOfTables(_ table: TOMLTable, _ key: String, path: String) throws(TariffError) -> [TOMLTable] {
        guard let value = table[key] else { throw fail(join(path, key), "missing") }
        guard let array = value.array else {
            throw fail(join(path, key), "expected an array of tables ([[\(join(path, key))]]), found \(describe(value))")
        }
        var tables: [TOMLTable] = []
        for index in 0..<array.count {
            guard let element = array[index].table else {
                throw fail(join(path, key) + "[\(index)]", "expected a table, found \(describe(array[index]))")
            }
            tables.append(element)
        }
        return tables
    }
}
