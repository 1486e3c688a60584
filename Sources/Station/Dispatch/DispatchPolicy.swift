import DLT645
import DLT645NIO
import Foundation
import Tariffs

/// How the dispatcher talks to meters and how hard it tries: `[dispatch]`, `[meters]` and the
/// station time zone of the configuration.
///
/// The password is a `DLT645.Password`, whose `description` hides the secret; it goes into 1CH
/// frames and nowhere else.
public struct DispatchPolicy: Sendable, Hashable {
    /// Sends of one command before it goes to job review (at least 1).
    public var maxAttempts: Int
    /// The wait after the first failed attempt; doubled after each further one.
    public var backoffInitial: Duration
    /// The longest wait between two attempts.
    public var backoffMax: Duration
    /// The fraction (0…1) of each wait that the random source may take off it, so commands that
    /// failed together (a terminal down) do not all come back in the same instant.
    public var jitter: Double
    /// The control password (PA P0 P1 P2) written into every 1CH request.
    public var password: Password
    /// The operator code (C0…C3) meters record in their control logs.
    public var operatorCode: OperatorCode
    /// The meters' civil time zone: the validity deadline goes into N3…N8 in it.
    public var timeZone: TimeZone
    /// A clock correction is confirmed when the meter's clock reads back within this of the station's.
    public var clockToleranceSeconds: Int64

    public init(maxAttempts: Int = 5, backoffInitial: Duration = .seconds(10), backoffMax: Duration = .seconds(600),
                jitter: Double = 0.2, password: Password, operatorCode: OperatorCode, timeZone: TimeZone,
                clockToleranceSeconds: Int64 = 60) {
        self.clockToleranceSeconds = clockToleranceSeconds
        self.maxAttempts = max(1, maxAttempts)
        self.backoffInitial = backoffInitial
        self.backoffMax = max(backoffInitial, backoffMax)
        self.jitter = min(max(jitter, 0), 1)
        self.password = password
        self.operatorCode = operatorCode
        self.timeZone = timeZone
    }

    /// The wait after the `attempts`-th failed attempt (1-based): `backoffInitial × 2^(attempts−1)`,
    /// capped at `backoffMax`, then shortened by up to `jitter` of itself (`random` in 0..<1).
    /// Jitter only shortens, so `backoffMax` really is the longest wait.
    public func backoff(afterAttempts attempts: Int, random: Double) -> Duration {
        Backoff(initial: backoffInitial, maximum: backoffMax, jitter: jitter)
            .delay(afterFailures: max(attempts - 1, 0), random: random)
    }

    /// What to do with a command whose `attempts`-th send failed with `failure` at `now`.
    public func outcome(of failure: DispatchFailure, attempts: Int, deadline: Date, now: Date,
                        random: Double) -> FailureOutcome {
        switch failure.kind {
        case .interrupted:
            return .putBack
        case .permanent:
            return .review(reason: failure.description)
        case .transient:
            guard attempts < maxAttempts else {
                return .review(reason: "attempts exhausted (\(attempts) of \(maxAttempts)): \(failure)")
            }
            let next = now.adding(backoff(afterAttempts: attempts, random: random))
            guard next < deadline else {
                return .review(reason: "deadline passed: the next attempt would come after the validity deadline "
                    + "\(RFC3339.format(deadline, in: timeZone)) (attempt \(attempts) of \(maxAttempts)): \(failure)")
            }
            return .retry(at: next)
        }
    }
}

/// Why a send did not get the meter's acknowledgement.
public enum DispatchFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The terminal line failed, or the meter refused (`.abnormalReply`).
    case line(TerminalLineError)
    /// The account's terminal has no line (unknown terminal, or not yet connected up).
    case noLine(terminal: String)
    /// The meter answered something other than 9CH.
    case unexpectedReply(String)
    /// The command cannot be put on the wire (bad meter address, unrepresentable deadline).
    case unsendable(String)
    /// The account could not be re-evaluated before sending (store or rules error): nothing was
    /// sent; retried like a line failure so that it ends in review rather than looping.
    case recheckFailed(String)
    /// The meter accepted the command but what it shows afterwards contradicts it (a relay that
    /// did not move, a parameter with another value): named both ways.
    case readBackContradicts(String)
    /// The meter accepted a write but the value could not be read back to confirm it.
    case readBackFailed(String)

    /// Whether retrying may help.
    public enum Kind: Sendable, Hashable {
        /// The line or the terminal: retry with back-off.
        case transient
        /// The meter refused, or the request is wrong: retrying cannot fix it.
        case permanent
        /// The send was cancelled (shutdown): not an attempt that failed.
        case interrupted
    }

    public var kind: Kind {
        switch self {
        case .line(let error):
            switch error {
            case .timeout, .connectionLost, .cannotConnect, .malformedReply, .shutdown: .transient
            case .abnormalReply, .invalidRequest: .permanent
            case .cancelled: .interrupted
            }
        case .noLine, .unexpectedReply, .recheckFailed, .readBackContradicts, .readBackFailed: .transient
        case .unsendable: .permanent
        }
    }

    /// Never contains the meter password: errors name causes, not frames.
    public var description: String {
        switch self {
        case .line(.abnormalReply(_, let word)): "meter refused: \(word)"
        case .line(let error): error.description
        case .noLine(let terminal): "no line to terminal \(terminal)"
        case .unexpectedReply(let reply): "unexpected reply: \(reply)"
        case .unsendable(let problem): "cannot send: \(problem)"
        case .recheckFailed(let problem): "cannot re-check the account before sending: \(problem)"
        case .readBackContradicts(let what): "read-back contradicts the command: \(what)"
        case .readBackFailed(let what): "not confirmed: \(what)"
        }
    }
}

/// The decision after a failed send.
public enum FailureOutcome: Sendable, Hashable {
    /// Back to pending, due again at this instant.
    case retry(at: Date)
    /// To job review with this reason.
    case review(reason: String)
    /// Back to pending at once without counting the attempt.
    case putBack
}

extension DispatchPolicy: CustomStringConvertible, CustomReflectable {
    /// The settings with the password shown only by its level.
    public var description: String {
        "DispatchPolicy(maxAttempts: \(maxAttempts), backoff: \(backoffInitial)…\(backoffMax), jitter: \(jitter), "
            + "password: \(password), operator: \(operatorCode), timeZone: \(timeZone.identifier))"
    }

    /// `dump` and debuggers see the same: never the password bytes.
    public var customMirror: Mirror {
        Mirror(self, children: ["description": description])
    }
}
