import Foundation
import Testing
@testable import ChargeControl

/// Every (state, event) pair of the command lifecycle: the legal moves with their effects, and
/// every other pair refused (issue 12).
@Suite struct CommandLifecycleTests {
    static let t = Date(timeIntervalSince1970: 1_795_000_000)
    static let later = t.addingTimeInterval(60)

    /// One event of each kind.
    static let events: [CommandEvent] = [
        .claim, .acknowledge, .notSent(until: later), .failed(error: "timeout", retryAt: later), .recover(at: t),
        .giveUp(reason: "wrong password"), .supersede, .operatorRetry(deadline: later, at: t), .operatorResolve, .operatorCancel,
    ]

    /// The legal moves, written out by hand: (from, event name) → transition.
    static let legal: [String: CommandTransition] = [
        "pending claim": CommandTransition(to: .inFlight, effects: [.countAttempt]),
        "pending supersede": CommandTransition(to: .superseded),
        "pending give_up": CommandTransition(to: .review, effects: [.recordError("wrong password"),
                                                                    .openReviewItem(reason: "wrong password")]),
        "in_flight acknowledge": CommandTransition(to: .acknowledged, effects: [.stampAcknowledged]),
        "in_flight not_sent": CommandTransition(to: .pending, effects: [.uncountAttempt, .dueAt(later)]),
        "in_flight failed": CommandTransition(to: .pending, effects: [.recordError("timeout"), .dueAt(later)]),
        "in_flight recover": CommandTransition(to: .pending, effects: [.recordError("interrupted by a restart"), .dueAt(t)]),
        "in_flight give_up": CommandTransition(to: .review, effects: [.recordError("wrong password"),
                                                                      .openReviewItem(reason: "wrong password")]),
        "in_flight supersede": CommandTransition(to: .superseded),
        "review supersede": CommandTransition(to: .superseded, effects: [.closeReviewItem(.cancelled)]),
        "review operator_retry": CommandTransition(to: .pending, effects: [.resetAttempts(deadline: later), .dueAt(t),
                                                                           .closeReviewItem(.retried)]),
        "review operator_resolve": CommandTransition(to: .acknowledged, effects: [.stampAcknowledged, .recordMeterAsCommanded,
                                                                                  .closeReviewItem(.resolved)]),
        "review operator_cancel": CommandTransition(to: .cancelled, effects: [.closeReviewItem(.cancelled)]),
    ]

    @Test func everyPairIsDecided() throws {
        var checked = 0
        for state in CommandState.allCases {
            for event in Self.events {
                let key = "\(state.rawValue) \(event.name)"
                if let expected = Self.legal[key] {
                    #expect(try CommandLifecycle.transition(from: state, on: event) == expected, "\(key)")
                } else {
                    #expect(throws: IllegalCommandTransition(from: state, event: event), "\(key)") {
                        try CommandLifecycle.transition(from: state, on: event)
                    }
                }
                checked += 1
            }
        }
        #expect(checked == CommandState.allCases.count * 10)
        #expect(Set(Self.events.map(\.name)).count == 10, "one event of each kind")
    }

    /// Final states take nothing; every state but them has a way out.
    @Test func finalStatesAreFinal() {
        for state in CommandState.allCases {
            let exits = Self.events.filter { (try? CommandLifecycle.transition(from: state, on: $0)) != nil }
            #expect(exits.isEmpty == state.isFinal, "\(state): \(exits.map(\.name))")
        }
    }

    /// A review item is opened only on the way into review and closed only on the way out.
    @Test func reviewItemsFollowTheReviewState() throws {
        for state in CommandState.allCases {
            for event in Self.events {
                guard let move = try? CommandLifecycle.transition(from: state, on: event) else { continue }
                let opens = move.effects.contains { if case .openReviewItem = $0 { true } else { false } }
                let closes = move.effects.contains { if case .closeReviewItem = $0 { true } else { false } }
                #expect(opens == (move.to == .review), "\(state) \(event.name)")
                #expect(closes == (state == .review), "\(state) \(event.name)")
            }
        }
    }

    @Test func aRefusalNamesStateAndEvent() {
        #expect(IllegalCommandTransition(from: .acknowledged, event: .claim).description == "a command acknowledged cannot take claim")
    }
}
