import ChargeControl
import DLT645
import Foundation
import Logging
import Store
import Tariffs

/// What a price version with a future effective instant puts into its meters: the four prices
/// into the second (standby) price set and `04000108`, the switch time, so that each meter
/// changes prices itself at that minute (DESIGN.md "Managing the meters").
public enum PricePush {
    /// The batch tag of the push of `version` of `tariff`.
    public static func batch(tariff: String, effective: Date) -> String {
        "price_push:\(tariff):\(effective.unixSeconds)"
    }

    /// `YYMMDDhhmm` of `instant` in the meters' zone. Meters switch on the minute: an instant
    /// with seconds switches them at the start of its minute.
    public static func switchTime(_ instant: Date, in zone: TimeZone) throws -> String {
        let t = try MeterDateTime(instant, in: zone)
        return try MeterMinute(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute).description
    }

    /// The five writes of a push.
    public static func settings(_ version: PriceVersion, in zone: TimeZone) throws -> [ParameterSetting] {
        try EnrolmentWrites.prices(version.prices, set: DataIdentifier.secondSetTariffPrice)
            + [ParameterSetting(identifier: DataIdentifier.priceSetSwitchTime.description, value: switchTime(version.effective, in: zone))]
    }

    /// The version a push is due for: the earliest one still to take effect after `now`.
    public static func nextVersion(of tariff: Tariff, after now: Date) -> PriceVersion? {
        tariff.priceVersions.filter { $0.effective > now }.min { $0.effective < $1.effective }
    }
}

extension StationCore {
    /// Queues, for each tariff whose next price version is still to take effect and was not
    /// pushed yet, that version's writes (`PricePush.settings`) on every account of the tariff
    /// under fee control (pending or active), in transactions of `chunk` accounts; the push is
    /// recorded with the last chunk, so a push cut short by a crash is queued again (the queue
    /// keeps writes already there). Called at start and after each reload. Returns the batches
    /// queued.
    @discardableResult
    public func pushFuturePrices(chunk: Int = 500) async throws -> [String] {
        let now = clock.now
        let rules = evaluator.rules
        let zone = rules.policy.calendar.timeZone
        var pushed: [String] = []
        for (name, tariff) in rules.tariffs.sorted(by: { $0.key < $1.key }) {
            guard let version = PricePush.nextVersion(of: tariff, after: now) else { continue }
            let batch = PricePush.batch(tariff: name, effective: version.effective)
            guard try await !store.transaction({ tx in try tx.pricePushRecorded(batch) }) else { continue }
            let writes = try PricePush.settings(version, in: zone)
            let switchTime = writes.last?.value ?? ""
            // Due before the new prices take effect; after that the write is no use.
            let deadline = min(rules.deadline(from: now), version.effective)
            var after: String?
            var total = 0
            while true {
                let start = after, counted = total
                let (last, n) = try await store.transaction { tx -> (String?, Int) in
                    let accounts = try tx.controlledAccounts(tariff: name, after: start, limit: chunk)
                    for account in accounts {
                        for setting in writes {
                            let planned = PlannedCommand(
                                kind: .write, reason: .pricePush, detail: "tariff \(name): prices effective \(switchTime) into the second set",
                                balance: account.balance, notBefore: now, isDeferred: false, parameter: setting)
                            _ = try tx.queue(planned, account: account.id, meter: account.meterAddress, deadline: deadline, at: now, batch: batch)
                        }
                    }
                    if accounts.count < chunk {
                        try tx.recordPricePush(batch: batch, tariff: name, effective: version.effective, switchTime: switchTime,
                                               accounts: counted + accounts.count, at: now)
                    }
                    return (accounts.last?.id, accounts.count)
                }
                total += n
                after = last
                if n > 0 { dispatcherSignal.bump() }
                if n < chunk { break }
            }
            logger.notice("price push queued: tariff \(name), prices effective \(switchTime), \(total) meters", metadata: [
                "event": "price_push", "tariff": "\(name)", "switch_time": "\(switchTime)", "meters": "\(total)",
            ])
            pushed.append(batch)
        }
        return pushed
    }
}
