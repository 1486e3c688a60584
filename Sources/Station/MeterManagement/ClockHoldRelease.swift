import ChargeControl
import Foundation
import Logging
import Store

extension StationCore {
    /// After the station set a meter's clock and read it back right: an account held by a
    /// reading that was abnormal only because of that clock is resolved (`accept`: its registers
    /// were right, only its time was off), so billing goes on without an operator. A reading
    /// with any other problem stays held for a person. Returns the item resolved, if any.
    @discardableResult
    public func releaseClockHold(account id: String, command: Int64) async throws -> Int64? {
        let now = clock.now
        let evaluator = self.evaluator
        let outcome = try await store.transaction { tx -> ReadingReviewOutcome? in
            guard let itemID = try tx.readingReviewHolding(account: id), let readingID = try tx.reviewItem(itemID).readingID else {
                return nil
            }
            let (_, baseline) = try tx.accountForReading(id)
            let reasons = evaluator.rules.limits.validate(try tx.reading(readingID), after: baseline).abnormalReasons
            let onlyTheClock = !reasons.isEmpty && reasons.allSatisfy { if case .clockSkew = $0 { true } else { false } }
            guard onlyTheClock else { return nil }
            return try evaluator.act(onReadingReview: itemID, .resolve(.accept),
                                     note: "meter clock corrected by the station (command \(command))", at: now, in: tx)
        }
        guard let outcome else { return nil }
        logger.notice("review item resolved: the meter's clock was corrected", metadata: [
            "event": "review", "account": "\(id)", "review_item": "\(outcome.item.id)", "resolution": "accept",
        ])
        logDecisions(outcome.evaluation)
        announce(outcome.evaluation)
        return outcome.item.id
    }
}
