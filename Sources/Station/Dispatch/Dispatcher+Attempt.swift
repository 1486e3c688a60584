import ChargeControl
import DLT645
import DLT645NIO
import Foundation
import Logging
import Store
import Tariffs

/// One attempt at a claimed command: the decision from the re-check, the request on the line,
/// the read-back.
extension Dispatcher {
    /// What became of one attempt.
    enum Resolution {
        /// The meter did it; its control state as now known (nil: a write, which leaves it as it is).
        case acknowledged(MeterState?, detail: String)
        case superseded(reason: String)
        case wait(until: Date, reason: String)
        case review(reason: String)
        case failed(DispatchFailure)
    }

    /// What the re-check before sending saw (committed with the claim).
    struct Recheck: Sendable {
        let now: Date
        let plan: ControlPlan
        let account: AccountRecord
    }

    /// Decides from the re-check, sends, reads back.
    func attempt(_ command: CommandRecord, recheck: Recheck, log: inout Logger) async -> Resolution {
        let (now, plan, account) = (recheck.now, recheck.plan, recheck.account)
        log[metadataKey: "terminal"] = "\(account.terminalID)"
        switch ControlEffects.recheck(command.kind, meter: command.meterAddress, accountMeter: account.meterAddress,
                                      plan: plan, at: now, reason: command.reason,
                                      isProtected: ControlEffects.isProtected(account, rules: core.evaluator.rules)) {
        case .supersede(let reason): return .superseded(reason: reason)
        case .wait(let until, let reason): return .wait(until: until, reason: reason)
        case .send: break
        }
        guard now < command.deadline else {
            return .review(reason: "deadline passed before sending: valid until \(RFC3339.format(command.deadline, in: policy.timeZone))")
        }
        let address: MeterAddress
        let deadline: MeterDateTime
        do throws(DLT645Error) {
            address = try MeterAddress(command.meterAddress)
            deadline = try MeterDateTime(command.deadline, in: policy.timeZone)
        } catch {
            return .failed(.unsendable(error.description))
        }
        guard let line = lines.line(for: account.terminalID) else {
            return .failed(.noLine(terminal: account.terminalID))
        }
        switch command.kind {
        case .write:
            guard let setting = command.parameter else { return .failed(.unsendable("a write without identifier and value")) }
            statsBox.update { $0.sent += 1 }
            log.info("parameter write sent", metadata: ["event": "command_sent", "identifier": "\(setting.identifier)",
                                                        "value": "\(setting.value)"])
            switch await ParameterWriteAttempt.run(setting, to: address, on: line, policy: policy) {
            case .success(let detail): return .acknowledged(nil, detail: detail)
            case .failure(let failure): return .failed(failure)
            }
        case .clockBroadcast, .clockWrite:
            statsBox.update { $0.sent += 1 }
            log.info("clock setting sent", metadata: ["event": "command_sent"])
            switch await ClockSetAttempt.run(command.kind, to: address, on: line, policy: policy, clock: clock) {
            case .success(let detail):
                log.notice("meter clock set: \(detail)", metadata: ["event": "clock_set"])
                return .acknowledged(nil, detail: detail)
            case .failure(let failure): return .failed(failure)
            }
        default:
            break
        }
        guard let n1 = ControlEffects.remoteControlCommand(for: command.kind) else {
            return .failed(.unsendable("\(command.kind.rawValue) is not a 1CH command"))
        }
        let control = RemoteControl(password: policy.password, operatorCode: policy.operatorCode, command: n1, deadline: deadline)
        statsBox.update { $0.sent += 1 }
        log.info("command sent", metadata: ["event": "command_sent", "deadline": "\(deadline)"])
        let reply: Reply
        do throws(TerminalLineError) {
            reply = try await line.send(.remoteControl(address, control), priority: .control)
        } catch {
            return .failed(.line(error))
        }
        guard case .acknowledged(_, let function) = reply, function == .remoteControl else {
            return .failed(.unexpectedReply("\(reply.function)"))
        }
        let expected = account.meter.after(command.kind)
        guard ControlEffects.isRelayCommand(command.kind) else {
            return .acknowledged(expected, detail: "\(ControlEffects.summary(of: expected, for: command.kind)) (9CH)")
        }
        return await readBack(command.kind, expected: expected, address: address, line: line, log: log)
    }

    /// Reads status word 3 after a relay command. The meter has already said 9CH, so a failed
    /// read still acknowledges, with the expected state marked unconfirmed.
    func readBack(_ kind: CommandKind, expected: MeterState, address: MeterAddress, line: TerminalLine,
                          log: Logger) async -> Resolution {
        let word: StatusWord3
        do {
            let reply = try await line.send(.read(address, .statusWord3), priority: .control)
            guard case .data(_, let identifier, let value, _) = reply, identifier == .statusWord3 else {
                throw DispatchFailure.unexpectedReply("\(reply.function)")
            }
            word = try StatusWord3(wireBytes: value)
        } catch {
            let failure = (error as? TerminalLineError).map(DispatchFailure.line) ?? (error as? DispatchFailure)
            let why = failure.map(\.description) ?? "\(error)"
            log.warning("relay state not confirmed", metadata: ["error": "\(why)"])
            return .acknowledged(expected, detail: "\(ControlEffects.summary(of: expected, for: kind)) expected, "
                + "unconfirmed: status word 3 not read (\(why))")
        }
        let seen = ControlEffects.meterState(from: word)
        guard !ControlEffects.contradicts(kind, relay: seen.relay) else {
            // A relay that did not move is a failed attempt: retried, then a person looks at it.
            log.warning("relay not as commanded", metadata: ["status_word_3": "\(ControlEffects.hex(word))"])
            return .failed(.readBackContradicts("status word 3 \(ControlEffects.hex(word)) shows relay \(seen.relay.rawValue), "
                + "\(kind.rawValue) wants relay \(expected.relay.rawValue)"))
        }
        return .acknowledged(seen, detail: "\(ControlEffects.summary(of: seen, for: kind)) (status word 3 \(ControlEffects.hex(word)))")
    }
}
