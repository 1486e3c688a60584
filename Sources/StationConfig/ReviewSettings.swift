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

    static func read(_ root: Section, _ reader: TableReader) -> ReviewSettings {
        let section = reader.section(root, "review", known: keys)
        let due = reader.duration(section, "due", default: ReviewSettings().commandDue)
        return ReviewSettings(commandDue: reader.duration(section, "command_due", default: due),
                              readingDue: reader.duration(section, "reading_due", default: due))
    }
}
