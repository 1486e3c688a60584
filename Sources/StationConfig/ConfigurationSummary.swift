import ChargeControl
import Foundation
import Tariffs

/// One displayed setting: its key, the text an operator reads, and, for secrets, a value that is
/// compared but never shown.
struct SettingLine: Equatable {
    let key: String
    let shown: String
    /// What changes are detected by; equals `shown` except for secrets.
    let compared: String

    init(_ key: String, _ shown: String, secretValue: String? = nil) {
        self.key = key
        self.shown = shown
        self.compared = secretValue ?? shown
    }
}

extension StationConfiguration {
    /// Every setting, one `key = value` a line in file order, secrets masked: what
    /// `chargecontrold --check-config` prints after a successful check.
    public var summary: String {
        let lines = settingLines
        let width = lines.map(\.key.count).max() ?? 0
        return lines.map { $0.key.padding(toLength: width, withPad: " ", startingAt: 0) + " = " + $0.shown }
            .joined(separator: "\n")
    }

    /// What differs from `old`, one human-readable line a change (`control.alarm_yuan: 20.00 → 25.00`),
    /// in file order; empty when nothing changed. Secrets are reported as changed, never shown.
    /// For the journal after a SIGHUP reload.
    public func changes(from old: StationConfiguration) -> [String] {
        let before = Dictionary(old.settingLines.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(settingLines.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var result: [String] = []
        for line in old.settingLines where after[line.key] == nil {
            result.append("\(line.key): removed (was \(line.shown))")
        }
        for line in settingLines {
            guard let previous = before[line.key] else {
                result.append("\(line.key): added, \(line.shown)")
                continue
            }
            guard previous.compared != line.compared else { continue }
            if previous.shown == line.shown {
                result.append("\(line.key): changed (secret, not shown)")
            } else {
                result.append("\(line.key): \(previous.shown) → \(line.shown)")
            }
        }
        return result
    }

    var settingLines: [SettingLine] {
        var lines: [SettingLine] = [
            SettingLine("station.database", station.database),
            SettingLine("station.timezone", station.timeZone.identifier),
            SettingLine("station.tariffs", station.tariffs),
            SettingLine("station.backups", station.backups),
            SettingLine("api.listen", api.listen.description),
            SettingLine("api.allow_remote", String(api.allowRemote)),
            SettingLine("api.tokens_file", api.tokensFile),
            SettingLine("api.max_connections", String(api.maxConnections)),
            SettingLine("api.idle_timeout", api.idleTimeout.configText),
            SettingLine("api.body_timeout", api.bodyTimeout.configText),
            SettingLine("collection.timeout", collection.timeout.configText),
        ]
        lines += strategyLines("collection", collection.standard)
        for name in collection.classes.keys.sorted() {
            if let strategy = collection.classes[name] { lines += strategyLines("collection.classes.\(name)", strategy) }
        }
        lines += controlLines("control", control.defaults, withProtected: false)
        for name in control.classes.keys.sorted() {
            if let settings = control.classes[name] { lines += controlLines("control.classes.\(name)", settings) }
        }
        lines += [
            SettingLine("control.trip_windows", control.calendar.windows.map(\.description).joined(separator: "; ")),
            SettingLine("control.holidays", holidaysText),
            SettingLine("dispatch.max_attempts", String(dispatch.maxAttempts)),
            SettingLine("dispatch.backoff_initial", dispatch.backoffInitial.configText),
            SettingLine("dispatch.backoff_max", dispatch.backoffMax.configText),
            SettingLine("dispatch.deadline", dispatch.deadline.configText),
            SettingLine("meters.password", meters.password.description, secretValue: meters.password.secretHexDigits),
            SettingLine("meters.operator", meters.operatorCode.description),
            SettingLine("meters.clock_tolerance", meters.clockTolerance.configText),
            SettingLine("meters.live_read_timeout", meters.liveReadTimeout.configText),
            SettingLine("log.target", log.target.rawValue),
            SettingLine("log.level", log.level.rawValue),
            SettingLine("notify.url", notify.url?.absoluteString ?? "(none)"),
            SettingLine("validation.rated_power_kw", formatScaledDecimal(validation.ratedPower.watts, scale: 3, decimals: 3)),
            SettingLine("validation.clock_skew", Duration.seconds(validation.clockSkew.seconds).configText),
            SettingLine("validation.register_sum_tolerance_kwh", validation.registerSumTolerance.kWhString),
            SettingLine("payments.max_yuan", payments.maxAmount.yuanString),
            SettingLine("review.command_due", review.commandDue.configText),
            SettingLine("review.reading_due", review.readingDue.configText),
            SettingLine("billing.reading_day", String(billing.readingDay)),
            SettingLine("retention.readings", retention.readings?.configText ?? "off"),
            SettingLine("retention.outbox", retention.outbox?.configText ?? "off"),
            SettingLine("retention.interval", retention.interval.configText),
            SettingLine("retention.batch", "\(retention.batch)"),
            SettingLine("cluster.node", cluster.node),
            SettingLine("cluster.lease", cluster.lease.configText),
        ]
        return lines
    }

    private var holidaysText: String {
        control.calendar.holidays.isEmpty ? "(none)" : control.calendar.holidays.sorted().map(\.description).joined(separator: ", ")
    }

    private func strategyLines(_ path: String, _ strategy: CollectionStrategy) -> [SettingLine] {
        [
            SettingLine("\(path).interval", strategy.interval.configText),
            SettingLine("\(path).jitter", strategy.jitter.configText),
            SettingLine("\(path).staleness", strategy.staleness.configText),
        ]
    }

    /// The thresholds; `protected` only for classes (the station-wide default is never protected).
    private func controlLines(_ path: String, _ settings: ControlSettings, withProtected: Bool = true) -> [SettingLine] {
        var lines = [
            SettingLine("\(path).alarm_yuan", settings.alarm.balance.yuanString),
            SettingLine("\(path).trip_yuan", settings.trip.balance.yuanString),
            SettingLine("\(path).reconnect_margin_yuan", settings.reconnectMargin.amount.yuanString),
        ]
        if withProtected { lines.append(SettingLine("\(path).protected", String(settings.isProtected))) }
        return lines
    }
}
