/// `[review]`: job review as work orders. Each item gets a due time when it opens: its kind's
/// own setting, else `due`.
///
/// ```toml
/// [review]
/// due = "24h"            # default for every kind
/// command_due = "4h"     # commands remote control could not deliver (a customer may be without power)
/// reading_due = "72h"    # abnormal readings (the account is held meanwhile)
/// ```
public struct ReviewSettings: Sendable, Hashable {
    /// How long an undeliverable command's item may stay open.
    public var commandDue: Duration
    /// How long an abnormal reading's item may stay open.
    public var readingDue: Duration

    public init(commandDue: Duration = .seconds(86_400), readingDue: Duration = .seconds(86_400)) {
        self.commandDue = commandDue
        self.readingDue = readingDue
    }

    static let keys = ["due", "command_due", "reading_due"]

    /// The longest due time taken: a work order due later than a year is not one.
    static let longest: Duration = .seconds(365 * 86_400)

    static func read(_ root: Section, _ reader: TableReader) -> ReviewSettings {
        let section = reader.section(root, "review", known: keys)
        func due(_ key: String, default fallback: Duration) -> Duration {
            reader.value(section, key, default: fallback, example: fallback.configText) { (text: String) throws(InvalidValue) -> Duration in
                let duration = try Duration(configText: text)
                guard duration > .zero, duration <= longest else {
                    throw InvalidValue("\"\(text)\" must be longer than zero and at most \(longest.configText)")
                }
                return duration
            }
        }
        let all = due("due", default: ReviewSettings().commandDue)
        return ReviewSettings(commandDue: due("command_due", default: all), readingDue: due("reading_due", default: all))
    }
}
