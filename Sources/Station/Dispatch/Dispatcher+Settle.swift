import ChargeControl
import Foundation
import Logging
import Store
import Tariffs

/// Recording what became of an attempt.
extension Dispatcher {
    /// Records the resolution: state change, audit (in the store), log line, counters. Returns
    /// when the command is due again, if it went back to pending (a retry, a put-back).
    func settle(_ command: CommandRecord, _ resolution: Resolution, attempts: Int, log: Logger) async throws -> Date? {
        let now = clock.now
        switch resolution {
        case .acknowledged(let state, let detail):
            // A reconnection's acknowledgement goes on the reconnection lane, not into a batch.
            try await outcomes.record(.acknowledged(meterState: state, detail: detail), of: command.id, at: now,
                                      reconnection: command.kind.isUrgent && state != nil)
            statsBox.update { $0.acknowledged += 1 }
            log.notice("command acknowledged: \(detail)", metadata: ["event": "command_acknowledged"])
            await onAcknowledged?(command, now)
            if command.kind.group == "clock" {
                do {
                    try await core.releaseClockHold(account: command.accountID, command: command.id)
                } catch {
                    log.error("cannot release the clock hold", metadata: ["error": "\(error)"])
                }
            }
        case .superseded(let reason):
            try await outcomes.record(.superseded(reason: reason), of: command.id, at: now)
            statsBox.update { $0.superseded += 1 }
            log.notice("command superseded before sending: \(reason)", metadata: ["event": "superseded"])
        case .wait(let until, let reason):
            try await outcomes.record(.putBack(until: until, reason: reason), of: command.id, at: now)
            log.info("command waits: \(reason)", metadata: ["event": "command_deferred"])
            return until
        case .review(let reason):
            try await toReview(command, reason: reason, at: now, log: log)
        case .failed(let failure):
            switch policy.outcome(of: failure, attempts: attempts, deadline: command.deadline, now: now, random: random()) {
            case .retry(let next):
                try await outcomes.record(.retry(error: failure.description, next: next), of: command.id, at: now)
                statsBox.update { $0.retried += 1 }
                log.warning("command failed, retrying: \(failure)", metadata: [
                    "event": "command_failed", "error": "\(failure)", "next_attempt": "\(RFC3339.format(next, in: policy.timeZone))",
                ])
                return next
            case .review(let reason):
                log.warning("command failed: \(failure)", metadata: ["event": "command_failed", "error": "\(failure)"])
                try await toReview(command, reason: reason, at: now, log: log)
            case .putBack:
                try await outcomes.record(.putBack(until: now, reason: failure.description), of: command.id, at: now)
                log.info("command interrupted, put back: \(failure)", metadata: ["event": "command_failed"])
                return now
            }
        }
        return nil
    }

    private func toReview(_ command: CommandRecord, reason: String, at now: Date, log: Logger) async throws {
        let item = try await outcomes.record(.review(reason: reason), of: command.id, at: now)
        statsBox.update { $0.reviewed += 1 }
        log.error("command moved to job review: \(reason)", metadata: ["event": "review", "review_item": "\(item.map(String.init) ?? "?")"])
    }
}
