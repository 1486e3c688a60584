import Foundation

/// `[station]`: where the station keeps its data and which clock it lives by.
public struct StationSettings: Sendable, Hashable {
    /// The SQLite database file (absolute; relative paths in the file are taken from its folder).
    /// Default `/var/lib/chargecontrol/station.sqlite`.
    public var database: String
    /// The station's zone: tariff periods, trip windows and holidays are local to it.
    /// Default `Asia/Shanghai`.
    public var timeZone: TimeZone
    /// The folder of tariff files; an account names one by its `name`. Default `/etc/chargecontrol/tariffs`.
    public var tariffs: String
    /// The folder `POST /v1/backup` writes copies into. Default: `backups` beside the database.
    public var backups: String

    static let keys = ["database", "timezone", "tariffs", "backups"]

    static func read(_ root: Section, _ reader: TableReader) -> StationSettings {
        let section = reader.section(root, "station", known: keys)
        let fallbackZone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .current
        // A PostgreSQL URL is said plainly rather than taken for a file name: the engine is not finished (issue 16).
        let database = reader.path(section, "database", default: "/var/lib/chargecontrol/station.sqlite") { text in
            text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
                ? "PostgreSQL stations are not supported by this build yet (only its schema is); use a SQLite file path" : nil
        }
        let besideDatabase = ((database as NSString).deletingLastPathComponent as NSString).appendingPathComponent("backups")
        return StationSettings(
            database: database,
            timeZone: reader.value(section, "timezone", default: fallbackZone, example: "Asia/Shanghai") {
                (name: String) throws(InvalidValue) -> TimeZone in
                guard let zone = TimeZone(identifier: name) else {
                    throw InvalidValue("unknown time zone \"\(name)\"; want an IANA name such as \"Asia/Shanghai\"")
                }
                return zone
            },
            tariffs: reader.path(section, "tariffs", default: "/etc/chargecontrol/tariffs"),
            backups: reader.path(section, "backups", default: besideDatabase)
        )
    }
}
