import Foundation
import Testing
@testable import ChargeControl

/// Every (state, event) pair of the abnormal-reading review lifecycle: the legal moves with their
/// effects, every other pair refused.
@Suite struct ReadingReviewLifecycleTests {
    static let events: [ReadingReviewEvent] = [.resolve(.accept), .resolve(.meterReplaced), .cancel, .retry]

    static let legal: [String: ReadingReviewTransition] = [
        "open resolve accept": ReadingReviewTransition(to: .resolved, effects: [.billAndRebaseline, .close(.resolved), .reevaluate]),
        "open resolve meter_replaced": ReadingReviewTransition(to: .resolved, effects: [.rebaseline, .close(.resolved), .reevaluate]),
        "open cancel": ReadingReviewTransition(to: .cancelled, effects: [.close(.cancelled), .reevaluate]),
    ]

    @Test func everyPairIsDecided() throws {
        var checked = 0
        for state in ReviewItemState.allCases {
            for event in Self.events {
                let key = "\(state.rawValue) \(event.name)"
                if let expected = Self.legal[key] {
                    #expect(try ReadingReviewLifecycle.transition(from: state, on: event) == expected, "\(key)")
                } else {
                    #expect(throws: IllegalReadingReviewTransition(from: state, event: event), "\(key)") {
                        try ReadingReviewLifecycle.transition(from: state, on: event)
                    }
                }
                checked += 1
            }
        }
        #expect(checked == ReviewItemState.allCases.count * Self.events.count)
        #expect(Set(Self.events.map(\.name)).count == Self.events.count, "one event of each kind")
        #expect(Self.events.count == ReadingResolution.allCases.count + 2, "every resolution, cancel and retry")
    }

    /// Every legal move closes the item in the state it leads to and re-decides the account, so a
    /// closed item never leaves its account on hold; only `open` has ways out.
    @Test func everyCloseEndsInAReevaluation() {
        for state in ReviewItemState.allCases {
            for event in Self.events {
                guard let move = try? ReadingReviewLifecycle.transition(from: state, on: event) else { continue }
                #expect(state == .open)
                #expect(move.effects.contains(.close(move.to)), "\(state) \(event.name)")
                #expect(move.effects.last == .reevaluate, "\(state) \(event.name)")
            }
        }
    }

    /// The refusal an operator sees says what to do instead.
    @Test func refusalsSayWhatWouldDo() {
        #expect(IllegalReadingReviewTransition(from: .open, event: .retry).description.contains("meter_replaced"))
        #expect(IllegalReadingReviewTransition(from: .resolved, event: .cancel).description.contains("resolved"))
    }
}
