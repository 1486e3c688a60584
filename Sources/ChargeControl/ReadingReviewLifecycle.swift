import Foundation

/// What an operator says an abnormal reading was, when resolving its review item
/// (`POST /v1/review/ID/resolve` `{"resolution": …}`).
public enum ReadingResolution: String, Sendable, Hashable, CaseIterable {
    /// The reading is right: it is the account's data, and the interval from the baseline to it
    /// is billed as read (a real jump in consumption, a meter clock that was off).
    case accept
    /// The meter was replaced or its registers reset: the reading is the new baseline and the
    /// jump to it is not billed.
    case meterReplaced = "meter_replaced"
}

/// What happens to an abnormal-reading review item.
public enum ReadingReviewEvent: Sendable, Hashable {
    /// The operator resolves it, saying what the reading was.
    case resolve(ReadingResolution)
    /// The operator dismisses it: the reading was wrong and is not used.
    case cancel
    /// "Send again" has nothing to send for a reading: never legal, listed so that every
    /// operator action has an answer.
    case retry

    /// The event's name for messages (`resolve accept`).
    public var name: String {
        switch self {
        case .resolve(let resolution): "resolve \(resolution.rawValue)"
        case .cancel: "cancel"
        case .retry: "retry"
        }
    }
}

/// What the station does besides closing the item, in this order, in one transaction.
public enum ReadingReviewEffect: Sendable, Hashable {
    /// The reading becomes the account's data: the interval from the baseline to it is billed
    /// (`AbnormalDataHold.accepting`) and it becomes the baseline.
    case billAndRebaseline
    /// The reading becomes the baseline, nothing billed (`AbnormalDataHold.rebaselining`).
    case rebaseline
    /// The item is closed in this state with the operator's note.
    case close(ReviewItemState)
    /// The account is decided again: with no open reading item left its hold ends, and the
    /// normal policy (windows, protection) takes adverse decisions again.
    case reevaluate
}

/// A move the reading-review lifecycle allows.
public struct ReadingReviewTransition: Sendable, Hashable {
    public let to: ReviewItemState
    public let effects: [ReadingReviewEffect]

    public init(to: ReviewItemState, effects: [ReadingReviewEffect]) {
        self.to = to
        self.effects = effects
    }
}

/// An operator action a reading item cannot take from its state.
public struct IllegalReadingReviewTransition: Error, Sendable, Hashable, CustomStringConvertible {
    public let from: ReviewItemState
    public let event: ReadingReviewEvent

    public init(from: ReviewItemState, event: ReadingReviewEvent) {
        self.from = from
        self.event = event
    }

    public var description: String {
        switch (from, event) {
        case (.open, .retry):
            "an abnormal-reading item cannot be retried: resolve it (accept or meter_replaced) or cancel it"
        default:
            "an abnormal-reading item that is \(from.rawValue) cannot take \(event.name)"
        }
    }
}

/// The life of an abnormal-reading review item, pure (DESIGN.md "Lifecycles are pure state
/// machines"). Opened by the evaluation of an abnormal reading while none is open for the
/// account; while open it holds the account's adverse decisions and its billing
/// (`AbnormalDataHold`).
///
/// ```
///        resolve accept          ──▶ resolved  (bill to the reading, rebaseline, re-decide)
///  open  resolve meter_replaced  ──▶ resolved  (rebaseline, re-decide)
///        cancel                  ──▶ cancelled (the reading is not used, re-decide)
/// ```
public enum ReadingReviewLifecycle {
    /// The move `event` makes from `state`, or why there is none.
    public static func transition(from state: ReviewItemState, on event: ReadingReviewEvent)
        throws(IllegalReadingReviewTransition) -> ReadingReviewTransition
    {
        switch (state, event) {
        case (.open, .resolve(.accept)):
            return ReadingReviewTransition(to: .resolved, effects: [.billAndRebaseline, .close(.resolved), .reevaluate])
        case (.open, .resolve(.meterReplaced)):
            return ReadingReviewTransition(to: .resolved, effects: [.rebaseline, .close(.resolved), .reevaluate])
        case (.open, .cancel):
            return ReadingReviewTransition(to: .cancelled, effects: [.close(.cancelled), .reevaluate])
        default:
            throw IllegalReadingReviewTransition(from: state, event: event)
        }
    }
}
