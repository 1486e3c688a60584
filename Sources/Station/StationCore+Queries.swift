import ChargeControl
import Foundation
import Store

/// What the API reads and asks of the station beyond provisioning and payments.
extension StationCore {
    /// The account, or `StoreError.unknownAccount`.
    public func account(_ id: String) async throws -> AccountRecord {
        guard let record = try await store.account(id) else { throw StoreError.unknownAccount(id) }
        return record
    }

    /// How long the account's balance lasts at its spending of the last `DaysLeftForecast.window`,
    /// down to its trip threshold (nil when its settings cannot be read).
    public func daysLeft(for account: AccountRecord) async throws -> DaysLeftForecast? {
        let now = clock.now
        guard let trip = try? evaluator.rules.settings(for: account).trip else { return nil }
        let spend = try await store.recentSpend(account: account.id, since: now.adding(.seconds(-DaysLeftForecast.window)))
        return DaysLeftForecast(balance: account.balance, trip: trip, samples: spend.map { [$0] } ?? [], at: now)
    }

    /// An operator's action on an open review item, with their note. A retried command starts
    /// over with a fresh validity deadline `deadline` from now, and the dispatcher is woken.
    public func act(onReview id: Int64, _ action: ReviewAction, note: String, deadline: Duration) async throws -> ReviewItem {
        let now = clock.now
        let item = try await store.act(onReview: id, action, note: note, newDeadline: now.adding(deadline), at: now)
        logger.notice("review item closed", metadata: [
            "event": "review", "account": "\(item.accountID)", "meter": "\(item.meterAddress)",
            "review_item": "\(id)", "action": "\(action.rawValue)",
        ].merging(Self.actorMetadata) { $1 })
        if action == .retry, item.commandID != nil { dispatcherSignal.bump() }
        return item
    }

    /// The region's figures (the whole station's when `region` is nil) with terminal health
    /// from `terminalsOnline` (terminal id → online); unlisted terminals count as offline.
    public func statistics(region: String?, terminalsOnline: [String: Bool]) async throws -> StationStatistics {
        let figures = try await store.statistics(region: region)
        let online = figures.terminalIDs.filter { terminalsOnline[$0] == true }.count
        return StationStatistics(figures: figures, terminalsOnline: online)
    }
}

/// `RegionStatistics` with the terminal health the collector knows.
public struct StationStatistics: Sendable, Hashable {
    public let figures: RegionStatistics
    /// How many of `figures.terminalIDs` are online.
    public let terminalsOnline: Int
}
