import ChargeControl
import Foundation
import Store
import Tariffs

/// What an operator's action on an abnormal-reading item did: the item as closed, and the
/// decision taken for its account afterwards (its commands are queued).
public struct ReadingReviewOutcome: Sendable, Hashable {
    public let item: ReviewItem
    public let evaluation: Evaluation
}

extension Evaluator {
    /// An operator resolves (`accept`, `meter_replaced`) or cancels abnormal-reading item `id`,
    /// with their note, in one transaction: what the lifecycle's effects say
    /// (`ReadingReviewLifecycle`), then a re-decision of the account. With no reading item left
    /// open the account's hold ends: the normal policy may alarm or trip at once (windows and
    /// protection apply as always).
    ///
    /// - `accept`: the interval from the baseline to the flagged reading is billed as read (one
    ///   ledger entry, rated like any interval), and the reading becomes the baseline.
    /// - `meter_replaced`: the flagged reading becomes the baseline; the jump to it is not billed.
    /// - cancel: the reading is not used; the baseline stays.
    ///
    /// Either way the first reading after it bills the consumption of the hold, from the baseline.
    /// Refused with nothing written: a resolution the reading cannot take (`ResolutionRefused`,
    /// the message names one that would do), a retry, an item already closed.
    public func act(onReadingReview id: Int64, _ event: ReadingReviewEvent, note: String, at now: Date,
                    in tx: StoreTransaction) throws -> ReadingReviewOutcome {
        let item = try tx.reviewItem(id)
        guard item.kind == .reading else { throw StoreError.reviewItemKind(id, is: item.kind) }
        let transition = try ReadingReviewLifecycle.transition(from: item.state, on: event)
        let (account, baseline) = try tx.accountForReading(item.accountID)
        let tariff = try rules.tariff(for: account)
        var update = ReadingUpdate()
        var outcome = Evaluation.Outcome.reevaluated
        var balance = account.balance
        var what = "reading \(item.readingID.map(String.init) ?? "?") is not used; billing goes on from the baseline"
        var closed: ReviewItem?
        var evaluation: Evaluation?
        /// The item's reading, read only by the effects that use it (a cancel needs none).
        func flagged() throws -> (id: Int64, reading: MeterReading) {
            guard let readingID = item.readingID else {
                throw StoreError.undecodableRow(table: "review_item", key: "\(id)", problem: "a reading item without reading_id")
            }
            return (readingID, try tx.reading(readingID))
        }
        /// The reading as the account's new baseline, as the first reading of a meter is.
        func rebaseline(_ r: (id: Int64, reading: MeterReading)) -> StoreTransaction.AcceptedReading {
            .init(id: r.id, at: r.reading.collectedAt,
                  position: account.tierYearStart == nil ? tariff.position(yearToDate: .zero, at: r.reading.collectedAt) : nil)
        }
        for effect in transition.effects {
            switch effect {
            case .billAndRebaseline:
                let r = try flagged()
                guard let interval = try AbnormalDataHold.accepting(r.reading, after: baseline) else {
                    update.accepted = rebaseline(r)
                    what = "reading \(r.id) accepted; the meter had no baseline, so it is the first one"
                    break
                }
                let rated: RatedInterval
                switch Self.rate(interval, tariff: tariff, account: account) {
                case .billable(let billable): rated = billable
                case .unbillable(let reason):
                    throw ResolutionRefused("\(reason.description); resolve it as meter_replaced (nothing billed) or cancel it")
                }
                let energy = interval.consumption.total
                update.balanceDelta = try tx.insertChargeEntry(
                    account: account.id, amount: rated.charge, energy: energy, readingID: r.id,
                    reference: "reading \(r.id) accepted on review item \(id): \(energy.kWhString) kWh", at: now)
                // Checked by `rate`: the charged balance is within bounds.
                balance = balance.adding(update.balanceDelta) ?? balance
                update.accepted = .init(id: r.id, at: r.reading.collectedAt, position: rated.position)
                outcome = .billed(charge: rated.charge, energy: energy)
                what = "reading \(r.id) accepted: \(energy.kWhString) kWh billed \(rated.charge.yuanString) yuan since the baseline; "
                    + "it is the new baseline"
            case .rebaseline:
                let r = try flagged()
                try AbnormalDataHold.rebaselining(r.reading, after: baseline)
                update.accepted = rebaseline(r)
                what = "reading \(r.id) (total \(r.reading.total.kWhString) kWh) is the new baseline; the jump to it is not billed"
            case .close(let state):
                closed = try tx.closeReadingReview(item, state: state, resolution: event.resolution, note: note, detail: what, at: now)
            case .reevaluate:
                let data: DataStatus = try tx.readingReviewHolding(account: account.id) == nil ? .normal : .abnormal([])
                evaluation = try decide(account: account, balance: balance, meter: account.meter, data: data, readingID: nil,
                                        outcome: outcome, update: update, at: now, in: tx)
            }
        }
        guard let closed, let evaluation else {
            throw EvaluationError.rating(account: account.id, problem: "review item \(id): the lifecycle neither closed nor re-decided it")
        }
        return ReadingReviewOutcome(item: closed, evaluation: evaluation)
    }
}

extension ReadingReviewEvent {
    /// The resolution it records on the item; nil for a cancel.
    var resolution: ReadingResolution? {
        if case .resolve(let resolution) = self { return resolution }
        return nil
    }
}
