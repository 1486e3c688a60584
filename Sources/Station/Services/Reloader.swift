import ChargeControl
import Logging
import ServiceLifecycle
import StationConfig
import Systemd
import UnixSignals

/// SIGHUP: re-read the configuration and the tariffs folder and apply what can change while
/// running — tariffs, thresholds, trip windows and holidays, validation limits, the log level —
/// without dropping work; say in the journal what changed. A refused file changes nothing.
/// Keys that need a restart (database, listen address, collection, dispatch, meters) are named.
struct Reloader: Service {
    let file: String
    let tokensFile: String?
    let initial: LoadedConfiguration
    let core: StationCore
    let notifier: ServiceNotifier
    let logLevel: LogLevelControl
    let logger: Logger

    static let restartPrefixes = ["station.database", "api.", "collection.", "dispatch.", "meters."]

    /// Reloads on every SIGHUP until a graceful shutdown (nothing to finish) or cancellation.
    func run() async {
        await cancelWhenGracefulShutdown { [self] in
            var current = initial
            await pushFuturePrices()
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                notifier.reloading()
                current = reload(from: current)
                await pushFuturePrices()
                notifier.ready()
            }
        }
    }

    /// A tariff's next price version goes into its meters' second price set before it takes
    /// effect: at start, and after each reload that may have brought one.
    private func pushFuturePrices() async {
        do {
            try await core.pushFuturePrices()
        } catch {
            logger.error("cannot queue the price push: \(error)", metadata: ["event": "price_push"])
        }
    }

    /// The configuration in force after a reload of `current`'s file.
    private func reload(from current: LoadedConfiguration) -> LoadedConfiguration {
        let next: LoadedConfiguration
        do {
            next = try LoadedConfiguration.load(path: file, tokensFile: tokensFile)
        } catch {
            logger.error("reload refused; the running configuration stays: \(error)", metadata: ["event": "reload"])
            return current
        }
        var changes = next.configuration.changes(from: current.configuration)
        let tariffNames = Set(next.tariffs.keys), oldNames = Set(current.tariffs.keys)
        if tariffNames != oldNames || next.tariffs.contains(where: { current.tariffs[$0.key] != $0.value }) {
            changes.append("tariffs: \(tariffNames.sorted().joined(separator: ", "))")
        }
        core.replaceEvaluator(Evaluator(rules: EvaluationRules(next.configuration, tariffs: next.tariffs)))
        logLevel.current = next.configuration.log.level
        for change in changes {
            let restart = Self.restartPrefixes.contains { change.hasPrefix($0) } ? " (takes effect after a restart)" : ""
            logger.notice("reload: \(change)\(restart)", metadata: ["event": "reload"])
        }
        if changes.isEmpty { logger.notice("reload: nothing changed", metadata: ["event": "reload"]) }
        return next
    }
}
