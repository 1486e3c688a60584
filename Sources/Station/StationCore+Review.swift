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
            if action == .retry { dispatcherSignal.bump() }
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
