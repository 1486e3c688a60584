import ChargeControl
import Tariffs

/// `[validation]`: the bounds a reading must stay within to be billed, read into the existing
/// ``ValidationLimits``.
///
/// ```toml
/// [validation]
/// rated_power_kw = "13.2"               # default; more consumed over an interval is abnormal
/// clock_skew = "5m"                     # default; a meter clock further off is abnormal
/// register_sum_tolerance_kwh = "0.02"   # default; |Σ tariff deltas − total delta| allowed
/// ```
enum ValidationSection {
    static let keys = ["rated_power_kw", "clock_skew", "register_sum_tolerance_kwh"]

    static func read(_ root: Section, _ reader: TableReader) -> ValidationLimits {
        let section = reader.section(root, "validation", known: keys)
        let builtIn = ValidationLimits()
        let watts = reader.value(section, "rated_power_kw", default: builtIn.ratedPower.watts, example: "13.2") {
            (text: String) throws(InvalidValue) -> Int64 in
            let watts: Int64
            do throws(DecimalError) {
                watts = try parseScaledDecimal(text, scale: 3, maxDecimals: 3, allowNegative: false)
            } catch {
                throw InvalidValue(error.description)
            }
            guard watts > 0 else { throw InvalidValue("\"\(text)\" must be above zero") }
            return watts
        }
        let skew = reader.duration(section, "clock_skew", default: .seconds(builtIn.clockSkew.seconds))
        let tolerance = reader.value(section, "register_sum_tolerance_kwh", default: builtIn.registerSumTolerance, example: "0.02") {
            (text: String) throws(InvalidValue) -> Energy in
            do throws(DecimalError) { return try Energy(kWh: text) } catch { throw InvalidValue(error.description) }
        }
        return ValidationLimits(
            ratedPower: RatedPower(watts: watts),
            clockSkew: ClockSkewLimit(seconds: skew.components.seconds),
            registerSumTolerance: tolerance
        )
    }
}
