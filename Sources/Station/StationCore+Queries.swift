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
