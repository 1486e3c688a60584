import Foundation

/// Where a queued command is in its life (INTERFACES.md `state`).
public enum CommandState: String, Sendable, Hashable, CaseIterable {
    case pending
    case inFlight = "in_flight"
    case acknowledged
    case superseded
    case cancelled
    case review

    /// States a command never leaves.
    public var isFinal: Bool { self == .acknowledged || self == .superseded || self == .cancelled }
}

/// What happens to a queued command: the dispatcher's, the policy's and the operator's moves.
public enum CommandEvent: Sendable, Hashable {
    /// The dispatcher takes it to send (an attempt).
    case claim
    /// The meter accepted it.
    case acknowledge
    /// Claimed but not sent (a deferred trip whose window closed again, a send cut short by
    /// shutdown): due again at `until`, the attempt not counted.
    case notSent(until: Date)
    /// An attempt failed in a way retrying may fix: due again at `retryAt`.
    case failed(error: String, retryAt: Date)
    /// Found in flight at start-up: the attempt may or may not have reached the meter, and
    /// control commands are idempotent there, so it goes again at `at`.
    case recover(at: Date)
    /// Retrying cannot fix it, or attempts or the deadline ran out (found while sending, or
    /// while it waited): a person takes over.
    case giveUp(reason: String)
    /// A newer decision replaces it, or the re-check before sending found it unnecessary.
    case supersede
    /// Job review: send again, attempts starting over with a new validity deadline.
    case operatorRetry(deadline: Date, at: Date)
    /// Job review: done on site (management card); it counts as carried out.
    case operatorResolve
    /// Job review: dropped.
    case operatorCancel
}

/// Where a job-review item is in its life.
public enum ReviewItemState: String, Sendable, Hashable, CaseIterable {
    case open
    case retried
    case resolved
    case cancelled
}

/// What the store does besides setting the new state, in this order, in the same transaction.
public enum CommandEffect: Sendable, Hashable {
    /// attempts + 1.
    case countAttempt
    /// attempts − 1: the claimed attempt did not happen.
    case uncountAttempt
    /// attempts = 0 and this validity deadline.
    case resetAttempts(deadline: Date)
    /// next_attempt_at.
    case dueAt(Date)
    /// last_error.
    case recordError(String)
    /// acknowledged_at = now.
    case stampAcknowledged
    /// The meter is now as the command leaves it (done on site: nobody read it back).
    case recordMeterAsCommanded
    /// A review item naming the command, with this reason.
    case openReviewItem(reason: String)
    /// The command's open review item, closed in this state.
    case closeReviewItem(ReviewItemState)
}

/// A move the lifecycle allows: the state it leads to and what goes with it.
public struct CommandTransition: Sendable, Hashable {
    public let to: CommandState
    public let effects: [CommandEffect]

    public init(to: CommandState, effects: [CommandEffect] = []) {
        self.to = to
        self.effects = effects
    }
}

/// A move the lifecycle does not allow from that state.
public struct IllegalCommandTransition: Error, Sendable, Hashable, CustomStringConvertible {
    public let from: CommandState
    public let event: CommandEvent

    public init(from: CommandState, event: CommandEvent) {
        self.from = from
        self.event = event
    }

    public var description: String { "a command \(from.rawValue) cannot take \(event.name)" }
}

/// The command lifecycle as a pure function (DESIGN.md "Lifecycles are pure state machines"):
///
/// ```
///            claim                 acknowledge
///  pending ─────────▶ in_flight ───────────────▶ acknowledged
///     ▲  ◀───────────────┤  │
///     │  notSent, failed,│  │ giveUp (also from pending)  operatorResolve
///     │  recover         │  └────────▶ review ─────────────────────▶ acknowledged
///     │                  │               │  operatorCancel
///     └──────────────────┼───────────────┤──────────────────────────▶ cancelled
///        operatorRetry   │               │
///                        ▼ supersede     ▼ supersede
///                    superseded      superseded      (pending ─supersede─▶ superseded too)
/// ```
///
/// The store decides with this and writes the result only if the row is still in the state it
/// decided from (`UPDATE … WHERE id = ? AND state = ?`): two deciders can never both win.
public enum CommandLifecycle {
    /// The move `event` makes from `state`, or why there is none.
    public static func transition(from state: CommandState, on event: CommandEvent) throws(IllegalCommandTransition)
        -> CommandTransition
    {
        switch (state, event) {
        case (.pending, .claim):
            return CommandTransition(to: .inFlight, effects: [.countAttempt])
        case (.inFlight, .acknowledge):
            return CommandTransition(to: .acknowledged, effects: [.stampAcknowledged])
        case (.inFlight, .notSent(let until)):
            return CommandTransition(to: .pending, effects: [.uncountAttempt, .dueAt(until)])
        case (.inFlight, .failed(let error, let retryAt)):
            return CommandTransition(to: .pending, effects: [.recordError(error), .dueAt(retryAt)])
        case (.inFlight, .recover(let at)):
            return CommandTransition(to: .pending, effects: [.recordError("interrupted by a restart"), .dueAt(at)])
        case (.pending, .giveUp(let reason)), (.inFlight, .giveUp(let reason)):
            return CommandTransition(to: .review, effects: [.recordError(reason), .openReviewItem(reason: reason)])
        case (.pending, .supersede), (.inFlight, .supersede):
            return CommandTransition(to: .superseded)
        case (.review, .supersede):
            return CommandTransition(to: .superseded, effects: [.closeReviewItem(.cancelled)])
        case (.review, .operatorRetry(let deadline, let at)):
            return CommandTransition(to: .pending, effects: [.resetAttempts(deadline: deadline), .dueAt(at), .closeReviewItem(.retried)])
        case (.review, .operatorResolve):
            return CommandTransition(to: .acknowledged, effects: [.stampAcknowledged, .recordMeterAsCommanded, .closeReviewItem(.resolved)])
        case (.review, .operatorCancel):
            return CommandTransition(to: .cancelled, effects: [.closeReviewItem(.cancelled)])
        default:
            throw IllegalCommandTransition(from: state, event: event)
        }
    }
}

extension CommandEvent {
    /// The event's name for messages and the audit trail (`operator_retry`).
    public var name: String {
        switch self {
        case .claim: "claim"
        case .acknowledge: "acknowledge"
        case .notSent: "not_sent"
        case .failed: "failed"
        case .recover: "recover"
        case .giveUp: "give_up"
        case .supersede: "supersede"
        case .operatorRetry: "operator_retry"
        case .operatorResolve: "operator_resolve"
        case .operatorCancel: "operator_cancel"
        }
    }
}
