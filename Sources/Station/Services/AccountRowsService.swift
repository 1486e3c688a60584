import Foundation
import Logging
import ServiceLifecycle
import Store

/// Writes the account book's rows behind (`StationStore.foldAccountRows`): a reading only
/// appends its row, and the account rows receive what their readings did later, sorted by key,
/// `batch` accounts per bulk-lane write. It folds when `threshold` accounts wait or every
/// `interval`, which bounds what a restart replays; a graceful stop folds everything, so the
/// next start replays nothing, then writes the book beside the database for the next start.
public final class AccountRowsService: Service, Sendable {
    public struct Settings: Sendable, Hashable {
        public var interval: Duration
        public var threshold: Int
        public var batch: Int

        public init(interval: Duration = .seconds(30), threshold: Int = 50_000, batch: Int = 2_000) {
            self.interval = interval
            self.threshold = max(1, threshold)
            self.batch = max(1, batch)
        }
    }

    private let store: StationStore
    private let settings: Settings
    private let logger: Logger
    /// How often it looks at the count waiting.
    private let look: Duration

    public init(store: StationStore, settings: Settings = Settings(), logger: Logger, look: Duration = .milliseconds(500)) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.look = look
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.loadBook()
            var lastFold = ContinuousClock.now
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: self.look)
                    let due = ContinuousClock.now - lastFold >= self.settings.interval
                    if self.store.unfoldedAccounts >= self.settings.threshold || (due && self.store.unfoldedAccounts > 0) {
                        try await self.foldAll()
                        lastFold = .now
                    } else if due {
                        lastFold = .now
                    }
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.error("cannot write account rows behind: \(error)", metadata: ["event": "account_rows"])
                }
            }
        }
        // Stopped after the ingest queue (the group stops services in reverse order): every
        // reading it committed goes into its row now.
        do {
            let written = try await foldAll()
            logger.info("account rows written at stop", metadata: ["event": "account_rows", "accounts": "\(written)"])
        } catch {
            logger.error("cannot write account rows at stop (the next start replays their readings): \(error)",
                         metadata: ["event": "account_rows"])
            return
        }
        // Then the book itself, for the next start to read instead of every row (p6).
        do {
            switch try await store.saveBookSnapshot() {
            case let .written(accounts, bytes, seconds):
                logger.info("account book written at stop", metadata: [
                    "event": "account_book", "accounts": "\(accounts)", "bytes": "\(bytes)", "seconds": "\(seconds)",
                ])
            case let .refused(reason):
                logger.notice("account book not written at stop (the next start reads every account row): \(reason)",
                              metadata: ["event": "account_book"])
            }
        } catch {
            logger.error("cannot write the account book at stop (the next start reads every account row): \(error)",
                         metadata: ["event": "account_book"])
        }
    }

    /// Loads the account book behind the start (the store opened with `loadBookBehind`),
    /// trying again every `look` × 10 after a failure: until it loads, accounts are read from
    /// their rows as they are used, correctly but slower.
    private func loadBook() async {
        let started = ContinuousClock.now
        while !Task.isCancelled {
            do {
                let load = try await store.loadBook()
                let metadata: Logger.Metadata = [
                    "event": "account_book", "accounts": "\(load.accounts)", "replayed": "\(load.replayed)",
                    "seconds": .stringConvertible(load.seconds), "from": .string(load.fromSnapshot ? "snapshot" : "rows"),
                    "since_start": .stringConvertible((ContinuousClock.now - started) / .seconds(1)),
                ]
                if let refused = load.snapshotRefused {
                    logger.notice("account book loaded from the rows; its snapshot was not read: \(refused)", metadata: metadata)
                } else {
                    // A notice, as READY=1's line: a start's second milestone (and what the bench times).
                    logger.notice("account book loaded from the \(load.fromSnapshot ? "snapshot" : "rows")", metadata: metadata)
                }
                return
            } catch {
                logger.error("cannot load the account book (accounts are read from their rows meanwhile): \(error)",
                             metadata: ["event": "account_book"])
                try? await Task.sleep(for: look * 10)
            }
        }
    }

    /// Folds the accounts waiting now; returns the rows written.
    @discardableResult
    func foldAll() async throws -> Int {
        try await store.foldWaitingAccountRows(batch: settings.batch)
    }
}
