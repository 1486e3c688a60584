import ChargeControl
import Tariffs
import Logging
import ServiceLifecycle
import StationConfig
import Store
import Systemd
import UnixSignals

/// SIGHUP: re-read the configuration, the tariffs folder and the tokens file and apply what can
/// change while running — tariffs, thresholds, trip windows and holidays, validation limits, the
/// log level, the API tokens — without dropping work; say in the journal what changed. A refused
/// configuration changes nothing; a refused tokens file keeps the tokens in force (`TokensReload`).
/// Keys that need a restart (database, listen address, collection, dispatch, meters, billing) are named.
struct Reloader: Service {
    let file: String
    let tokensFile: String?
    let initial: LoadedConfiguration
    let core: StationCore
    /// The API's tokens, replaced when the tokens file changed.
    let tokens: LiveTokens
    let notifier: ServiceNotifier
    let logLevel: LogLevelControl
    let logger: Logger

    static let restartPrefixes = ["station.database", "station.backups", "api.", "collection.", "dispatch.", "meters.", "billing.", "retention.", "cluster."]

    /// Reloads on every SIGHUP until a graceful shutdown (nothing to finish) or cancellation.
    func run() async {
        await cancelWhenGracefulShutdown { [self] in
            var current = initial
            await pushFuturePrices()
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                notifier.reloading()
                current = reload(from: current)
                await applyReviewDueTimes(current.configuration.review)
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

    /// Items opened from now on get `[review]`'s due times (at start `StationServices` sets them).
    private func applyReviewDueTimes(_ review: ReviewSettings) async {
        do {
            try await core.store.setReviewDueTimes(ReviewDueTimes(review))
        } catch {
            logger.error("cannot set the review due times: \(error)", metadata: ["event": "reload"])
        }
    }

    /// The configuration in force after a reload of `current`'s file.
    private func reload(from current: LoadedConfiguration) -> LoadedConfiguration {
        let configuration: StationConfiguration
        let tariffs: [String: Tariff]
        do {
            (configuration, tariffs) = try LoadedConfiguration.loadRules(path: file)
        } catch {
            logger.error("reload refused; the running configuration stays: \(error)", metadata: ["event": "reload"])
            return current
        }
        let tokensPath = tokensFile ?? configuration.api.tokensFile
        let next = LoadedConfiguration(configuration: configuration, tariffs: tariffs,
                                       tokens: TokensReload(tokens: tokens, configurationFile: file, logger: logger)
                                           .reload(path: tokensPath, current: current.tokens),
                                       tokensPath: tokensPath, file: file)
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
