import ChargeControl
import Foundation
import Store

/// Job review as operators act on it: command items through the command lifecycle, reading
/// items through the evaluation (their resolution ends the account's hold and may bill).
extension StationCore {
    /// An operator's action on an open review item, with their note. A retried command starts
    /// over with a fresh validity deadline `deadline` from now, and the dispatcher is woken. A
    /// reading item is resolved with `resolution` (required there, refused on command items)
    /// or cancelled; its account is re-decided in the same transaction.
    public func act(onReview id: Int64, _ action: ReviewAction, resolution: ReadingResolution? = nil, note: String,
                    deadline: Duration) async throws -> ReviewItem {
        let now = clock.now
        let kind = try await store.reviewItem(id).kind
        let item: ReviewItem
        switch kind {
        case .command:
            guard resolution == nil else { throw ReviewActionRefusal.resolutionOnCommandItem(id) }
            item = try await store.act(onReview: id, action, note: note, newDeadline: now.adding(deadline), at: now)
            if action == .retry {
                dispatcherRescan.bump()
                dispatcherSignal.bump()
            }
        case .reading:
            let event = try Self.readingEvent(id, action, resolution)
            let evaluator = self.evaluator
            let outcome = try await store.transaction(reconnection: true) { tx in
                try evaluator.act(onReadingReview: id, event, note: note, at: now, in: tx)
            }
            logDecisions(outcome.evaluation)
            announce(outcome.evaluation)
            item = outcome.item
        }
        logger.notice("review item closed", metadata: [
            "event": "review", "account": "\(item.accountID)", "meter": "\(item.meterAddress)",
            "review_item": "\(id)", "action": "\(action.rawValue)", "resolution": "\(resolution?.rawValue ?? "-")",
        ].merging(Self.actorMetadata) { $1 })
        return item
    }

    /// Names who works on an open item (nil: nobody), audited and journaled with the operator.
    public func assign(review id: Int64, to assignee: String?) async throws -> ReviewItem {
        let item = try await store.assignReviewItem(id, to: assignee, at: clock.now)
        logger.notice("review item assigned", metadata: [
            "event": "review", "account": "\(item.accountID)", "meter": "\(item.meterAddress)",
            "review_item": "\(id)", "action": "assign", "assignee": "\(assignee ?? "-")",
        ].merging(Self.actorMetadata) { $1 })
        return item
    }

    /// Work orders closed over the last 30 days (and how many by their due time), and those
    /// open past due now: `review_on_time_ratio` in `/v1/stats` and `/metrics`.
    public func reviewTimeliness() async throws -> ReviewTimeliness {
        let now = clock.now
        return try await store.reviewTimeliness(since: now.addingTimeInterval(-Self.reviewTimelinessWindow), at: now)
    }

    /// The window of `review_on_time_ratio` (INTERFACES.md: last 30 days).
    static let reviewTimelinessWindow: TimeInterval = 30 * 86_400

    /// The reading lifecycle's event for an API action: resolve needs a resolution, and only
    /// resolve takes one.
    private static func readingEvent(_ id: Int64, _ action: ReviewAction, _ resolution: ReadingResolution?)
        throws(ReviewActionRefusal) -> ReadingReviewEvent
    {
        switch (action, resolution) {
        case (.resolve, let resolution?): return .resolve(resolution)
        case (.resolve, nil): throw .resolutionMissing(id)
        case (_, .some): throw .resolutionWithoutResolve(id, action)
        case (.cancel, nil): return .cancel
        case (.retry, nil): return .retry
        }
    }
}

/// A review action whose request does not fit the item: a 400 naming the `resolution` field.
public enum ReviewActionRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    case resolutionMissing(Int64)
    case resolutionOnCommandItem(Int64)
    case resolutionWithoutResolve(Int64, ReviewAction)

    public var description: String {
        let known = ReadingResolution.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
        return switch self {
        case .resolutionMissing(let id):
            "missing \"resolution\": review item \(id) is about an abnormal reading; say what it was: \(known)"
        case .resolutionOnCommandItem(let id):
            "\"resolution\" is for abnormal-reading items; review item \(id) is about a command"
        case .resolutionWithoutResolve(let id, let action):
            "\"resolution\" goes with resolve, not \(action.rawValue) (review item \(id))"
        }
    }
}
