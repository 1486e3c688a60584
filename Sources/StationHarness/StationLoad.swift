import Foundation
import SeededRandom
import Synchronization

/// A payment a client means to post.
public struct PlannedPayment: Sendable, Hashable {
    public let order: String
    public let account: String
    public let amount: String
}

/// What a client saw for one payment: an answer, or nil after a transport error (the daemon died
/// before answering: the payment may or may not be recorded).
public struct PostedPayment: Sendable {
    public let payment: PlannedPayment
    public let answer: HTTPAnswer?
}

/// Posted payments sorted by what the clients saw (`PostedPayment.sort`).
public struct PostedOutcome: Sendable {
    /// Answered 201 or 200, with that answer.
    public var answered: [PlannedPayment: HTTPAnswer] = [:]
    /// No answer (the daemon died): recorded or not, to be posted again.
    public var cutOff: [PlannedPayment] = []
    /// Answered anything else: one line each, naming the order and the answer.
    public var refused: [String] = []
}

extension PostedPayment {
    /// Sorts what the clients saw into answered, cut off and refused payments.
    public static func sort(_ posted: [PostedPayment]) -> PostedOutcome {
        var outcome = PostedOutcome()
        for p in posted {
            guard let answer = p.answer else {
                outcome.cutOff.append(p.payment)
                continue
            }
            if answer.status == 201 || answer.status == 200 {
                outcome.answered[p.payment] = answer
            } else {
                outcome.refused.append("payment \(p.payment.order) answered \(answer)")
            }
        }
        return outcome
    }
}

/// What the operator clients did.
public struct OperatorActions: Sendable, CustomStringConvertible {
    /// Review items acted on, by action (`retry`, `resolve`, `cancel`), answered 200.
    public var reviewActions: [String: Int] = [:]
    /// Review actions refused (the item was closed meanwhile) or cut off.
    public var reviewActionsRefused = 0
    /// Accounts switched to protected and back (keep-power and its release).
    public var protectionChanges = 0
    /// Meters taken off the bus for a while.
    public var meterOutages = 0
    /// Accounts enrolled in fee control (their limits and prices written into the meter again).
    public var enrolments = 0
    /// Meter clocks set off (by up to ±1,000 s) for the station to correct.
    public var clockDrifts = 0

    public mutating func add(_ other: OperatorActions) {
        reviewActions.merge(other.reviewActions, uniquingKeysWith: +)
        reviewActionsRefused += other.reviewActionsRefused
        protectionChanges += other.protectionChanges
        meterOutages += other.meterOutages
        enrolments += other.enrolments
        clockDrifts += other.clockDrifts
    }

    public var description: String {
        "review actions \(reviewActions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) "
            + "(\(reviewActionsRefused) refused), \(protectionChanges) protection changes, \(meterOutages) meter outages, "
            + "\(enrolments) enrolments, \(clockDrifts) clocks set off"
    }
}

/// The mixed load the crash rounds and the soak drive: payments from several clients, operators
/// acting on job review and on accounts, meters dropping off the bus. Each client stops at its
/// first transport error (the daemon is gone) or when `stop()` returns true.
public enum StationLoad {
    /// The payments posted and the operator actions of every client in `group`, together.
    public static func gather(_ group: inout TaskGroup<([PostedPayment], OperatorActions)>) async -> ([PostedPayment], OperatorActions) {
        var posted: [PostedPayment] = []
        var actions = OperatorActions()
        for await (part, done) in group {
            posted += part
            actions.add(done)
        }
        return (posted, actions)
    }

    /// `yuan(cents: 250)` → `"2.50"`.
    public static func yuan(cents: Int) -> String {
        "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
    }

    /// Seeded payments for one client: random accounts of `accounts`, 0.50 to 2.99 yuan.
    public static func plan(_ count: Int, prefix: String, accounts: [String], random: inout SplitMix64) -> [PlannedPayment] {
        (0..<count).map { n in
            PlannedPayment(order: "\(prefix)-\(n)", account: accounts[Int(random.next() % UInt64(accounts.count))],
                           amount: yuan(cents: 50 + Int(random.next() % 250)))
        }
    }

    /// Posts the payments one after another, `pause` between two, until the daemon stops
    /// answering or `stop()`. With `topUp`, a payment to an account this client last saw below
    /// zero brings it about 5 yuan above zero (plus the planned amount), as a customer paying to
    /// be reconnected would: balances keep crossing the thresholds instead of sinking for good.
    public static func post(_ plan: [PlannedPayment], to s: HarnessStation, pause: Duration = .milliseconds(10),
                            topUp: Bool = false, stop: @Sendable () -> Bool = { false }) async -> [PostedPayment] {
        var out: [PostedPayment] = []
        var balances: [String: Int64] = [:]
        for planned in plan {
            if stop() || Task.isCancelled { break }
            var p = planned
            if topUp, let balance = balances[p.account], balance < 0, let cents = Int(p.amount.replacingOccurrences(of: ".", with: "")) {
                p = PlannedPayment(order: p.order, account: p.account, amount: yuan(cents: Int(-balance / 10_000) + 500 + cents))
            }
            do {
                let answer = try await s.pay(p.order, account: p.account, amount: p.amount)
                if let balance = answer.json?["balance_micro_yuan"]?.int64 { balances[p.account] = balance }
                out.append(PostedPayment(payment: p, answer: answer))
                try? await Task.sleep(for: pause)
            } catch {
                out.append(PostedPayment(payment: p, answer: nil))
                break
            }
        }
        return out
    }

    /// An operator: every `every`, looks at job review and acts on each command item — mostly
    /// retry, sometimes records it done on site or cancels it — and now and then makes an
    /// account protected or unprotected (keep-power commands).
    public static func operate(_ s: HarnessStation, accounts: [(id: String, meter: Int)], seed: UInt64,
                               every: Duration = .milliseconds(300), stop: @Sendable () -> Bool = { false }) async -> OperatorActions {
        var random = SplitMix64(seed: seed)
        var done = OperatorActions()
        var protected: Set<String> = []
        while !stop() && !Task.isCancelled {
            do {
                for item in try await s.review() where item["kind"]?.string == "command" {
                    guard let id = item["id"]?.int else { continue }
                    let roll = random.next() % 10
                    let action = roll < 7 ? "retry" : roll < 9 ? "resolve" : "cancel"
                    let answer = try await s.actOnReview(id, action, note: "harness operator: \(action)")
                    if answer.status == 200 { done.reviewActions[action, default: 0] += 1 } else { done.reviewActionsRefused += 1 }
                }
                if random.next() % 3 == 0, let account = accounts.randomElement(using: &random) {
                    // Parameter writes in the queue (and on the wire) when the daemon is killed.
                    let answer = try await s.call("POST", "/v1/accounts/\(account.id)/fee-control",
                                                  json: #"{"action": "enrol", "reason": "harness operator"}"#)
                    if answer.status == 202 { done.enrolments += 1 }
                }
                if random.next() % 4 == 0, let account = accounts.randomElement(using: &random) {
                    let protect = !protected.contains(account.id)
                    let answer = try await s.call("POST", "/v1/accounts",
                                                  json: s.accountBody(account.id, meter: account.meter, protected: protect))
                    if answer.status == 200 || answer.status == 201 {
                        if protect { protected.insert(account.id) } else { protected.remove(account.id) }
                        done.protectionChanges += 1
                    }
                }
            } catch {
                break
            }
            try? await Task.sleep(for: every)
        }
        return done
    }

    /// Takes random meters of `meters` off the bus for `outage` each, one at a time, until
    /// `stop()`; every meter is back online when it returns. Talks to the simulator only, so it
    /// keeps going while the daemon is down.
    public static func unplugMeters(_ s: HarnessStation, meters: [Int], seed: UInt64, outage: Duration,
                                    stop: @Sendable () -> Bool) async -> Int {
        var random = SplitMix64(seed: seed)
        var outages = 0
        while !stop() && !Task.isCancelled, let meter = meters.randomElement(using: &random) {
            guard (try? await s.changeMeter(meter, #"{"offline": true}"#)) != nil else { break }
            outages += 1
            try? await Task.sleep(for: outage)
            _ = try? await s.changeMeter(meter, #"{"offline": false}"#)
            try? await Task.sleep(for: outage)
        }
        return outages
    }
}

extension StationLoad {
    /// Sets random meters' clocks off by 70…1,000 s either way (beyond the station's 60 s
    /// tolerance, some beyond broadcast range), one every `every`, until `stop()`: clock
    /// corrections in the queue when the daemon is killed. Talks to the simulator only.
    public static func driftClocks(_ s: HarnessStation, meters: [Int], seed: UInt64, every: Duration,
                                   stop: @Sendable () -> Bool) async -> Int {
        var random = SplitMix64(seed: seed)
        var drifts = 0
        while !stop() && !Task.isCancelled, let meter = meters.randomElement(using: &random) {
            let offset = Int(70 + random.next() % 931) * (random.next() % 2 == 0 ? 1 : -1)
            guard (try? await s.changeMeter(meter, #"{"clock_offset_s": \#(offset)}"#)) != nil else { break }
            drifts += 1
            try? await Task.sleep(for: every)
        }
        return drifts
    }
}

/// A flag set once from any task.
public final class StopFlag: Sendable {
    private let state = Mutex(false)
    public init() {}
    public func set() { state.withLock { $0 = true } }
    public var isSet: Bool { state.withLock { $0 } }
}
