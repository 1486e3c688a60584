import ChargeControl
import Foundation
import Tariffs
import TOMLKit

/// The daemon's configuration, `chargecontrold.toml` (INTERFACES.md, `chargecontrold`), parsed
/// and validated. `Config/chargecontrold.toml` documents every key and its default.
///
/// Every key has a default, so an empty file is a valid configuration. Relative paths are taken
/// from the configuration file's folder. Unknown sections and keys, wrong types and bad values
/// are refused: ``load(path:)`` and ``parse(_:file:)`` throw one ``ConfigurationError`` listing
/// every problem, each with the file and the key.
public struct StationConfiguration: Sendable, Hashable {
    /// `[station]`: database, time zone, tariffs folder.
    public var station: StationSettings
    /// `[api]`: listen address, tokens file, connection limits and timeouts.
    public var api: APISettings
    /// `[collection]`: reading intervals, timeouts, strategies per customer class.
    public var collection: CollectionSettings
    /// `[control]`: thresholds (per customer class), trip windows and holidays.
    public var control: ControlConfiguration
    /// `[dispatch]`: attempts, back-off, deadline of commands.
    public var dispatch: DispatchSettings
    /// `[meters]`: control password and operator code.
    public var meters: MeterSettings
    /// `[log]`: target and level.
    public var log: LogSettings
    /// `[notify]`: the webhook for customer notifications.
    public var notify: NotifySettings
    /// `[validation]`: rated power, clock skew, register tolerance.
    public var validation: ValidationLimits
    /// `[payments]`: the largest payment or adjustment.
    public var payments: PaymentSettings
    /// `[review]`: due times of job-review items.
    public var review: ReviewSettings
    /// `[billing]`: the reading day statements cut months on.
    public var billing: BillingSettings = BillingSettings()
    /// `[retention]`: how long old readings and delivered notifications are kept.
    public var retention = RetentionSettings()
    /// `[cluster]`: this node's name and the lease time (PostgreSQL stations).
    public var cluster = ClusterSettings()

    /// The sections a file may have.
    static let sections = ["station", "api", "collection", "control", "dispatch", "meters", "log", "notify", "validation", "payments", "review",
                           "billing", "retention", "cluster"]

    /// Reads and validates the file at `path`; errors and relative paths go by `path`.
    public static func load(path: String) throws(ConfigurationError) -> StationConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(problems: [
                .init(file: path, key: "", message: "cannot read the file (\(error.localizedDescription))")
            ])
        }
        return try parse(text, file: path)
    }

    /// Parses and validates configuration text.
    ///
    /// - Parameters:
    ///   - text: the TOML text.
    ///   - file: the file's path as the operator named it: put in errors, and its folder is where
    ///     relative paths start (a relative `file` is taken from the current directory).
    /// - Throws: ``ConfigurationError`` with every problem found.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> StationConfiguration {
        let table: TOMLTable
        do {
            table = try SafeTOML.table(from: text)
        } catch {
            throw ConfigurationError(problems: [.init(file: file, key: error.position, message: error.problem)])
        }
        let reader = TableReader(file: file)
        let root = Section(path: "", table: table)
        reader.refuseUnknownKeys(root, known: sections)
        let station = StationSettings.read(root, reader)
        var configuration = StationConfiguration(
            station: station,
            api: APISettings.read(root, reader),
            collection: CollectionSettings.read(root, reader),
            control: ControlConfiguration.read(root, reader, timeZone: station.timeZone),
            dispatch: DispatchSettings.read(root, reader),
            meters: MeterSettings.read(root, reader),
            log: LogSettings.read(root, reader),
            notify: NotifySettings.read(root, reader),
            validation: ValidationSection.read(root, reader),
            payments: PaymentSettings.read(root, reader),
            review: ReviewSettings.read(root, reader)
        )
        let billing = BillingSettings.read(root, reader)
        configuration?.retention = RetentionSettings.read(root, reader)
        configuration?.cluster = ClusterSettings.read(root, reader, database: station.database)
        guard reader.problems.isEmpty, var configuration else {
            throw ConfigurationError(problems: reader.problems)
        }
        configuration.billing = billing
        return configuration
    }
}

extension StationConfiguration {
    /// A configuration, or nil when the control section could not be built (its problems reported).
    fileprivate init?(
        station: StationSettings, api: APISettings, collection: CollectionSettings, control: ControlConfiguration?,
        dispatch: DispatchSettings, meters: MeterSettings, log: LogSettings, notify: NotifySettings,
        validation: ValidationLimits, payments: PaymentSettings, review: ReviewSettings
    ) {
        guard let control else { return nil }
        self.station = station
        self.api = api
        self.collection = collection
        self.control = control
        self.dispatch = dispatch
        self.meters = meters
        self.log = log
        self.notify = notify
        self.validation = validation
        self.payments = payments
        self.review = review
    }
}
