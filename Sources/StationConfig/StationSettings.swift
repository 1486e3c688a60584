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
        // A SQLite file's path, or a PostgreSQL station's URL, checked here and kept as written.
        let database = reader.path(section, "database", default: "/var/lib/chargecontrol/station.sqlite") { text throws(InvalidValue) in
            guard PostgresLocation.isURL(text) else { return false }
            do {
                _ = try PostgresLocation(url: text)
            } catch {
                throw InvalidValue("\(error)")
            }
            return true
        }
        // PostgreSQL stations are backed up with PostgreSQL's tools; the folder stays for a copy into SQLite.
        let besideDatabase = PostgresLocation.isURL(database)
            ? "/var/lib/chargecontrol/backups"
            : ((database as NSString).deletingLastPathComponent as NSString).appendingPathComponent("backups")
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
