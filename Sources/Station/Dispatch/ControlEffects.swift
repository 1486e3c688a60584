import ChargeControl
import DLT645
import Foundation
import Store

/// The pure parts of dispatching: what a command means on the wire, what status word 3 says, and
/// whether a queued command still holds (what a meter looks like after it: `MeterState.after`).
public enum ControlEffects {
    /// N1 of the 1CH request for a command kind (nil: not a 1CH command).
    public static func remoteControlCommand(for kind: CommandKind) -> RemoteControlCommand? {
        switch kind {
        case .trip: .trip
        case .allowClose: .allowClose
        case .directClose: .directClose
        case .alarm: .alarm
        case .alarmRelease: .alarmRelease
        case .keepPower: .keepPower
        case .keepPowerRelease: .keepPowerRelease
        case .write, .clockBroadcast, .clockWrite: nil
        }
    }

    /// Whether a relay seen in status word 3 after `kind` contradicts it: a trip that left the
    /// relay closed or armed, an allow-close that left it open, a direct close that did not close.
    /// An allow-close that finds the relay closed is fine (some meters close at once).
    public static func contradicts(_ kind: CommandKind, relay seen: RelayState) -> Bool {
        switch kind {
        case .trip: seen != .open
        case .allowClose: seen == .open
        case .directClose: seen != .closed
        default: false
        }
    }

    /// Relay commands are confirmed by reading status word 3 back.
    public static func isRelayCommand(_ kind: CommandKind) -> Bool {
        kind.group == "relay"
    }

    /// The relay as status word 3 reports it: bit 4 clear → closed; bit 4 set with bit 6 (commanded
    /// open) set → open; bit 4 set with bit 6 clear → armed (allowed to close, not yet closed).
    public static func relay(from word: StatusWord3) -> RelayState {
        guard word.contains(.relayOpen) else { return .closed }
        return word.contains(.relayCommandedOpen) ? .open : .armed
    }

    /// The whole control state in status word 3: relay, pre-trip alarm (bit 7), keep-power (bit 12).
    public static func meterState(from word: StatusWord3) -> MeterState {
        MeterState(relay: relay(from: word), alarm: word.contains(.preTripAlarm), keepPower: word.contains(.keepPower))
    }

    /// Whether the account is protected under `rules`; an account whose settings cannot be read
    /// counts as protected (no trip goes out on a guess).
    static func isProtected(_ account: AccountRecord, rules: EvaluationRules) -> Bool {
        (try? rules.settings(for: account).isProtected) ?? true
    }

    /// `0010H`: status word 3 as the detail and the log show it.
    public static func hex(_ word: StatusWord3) -> String {
        let digits = String(word.rawValue, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "H"
    }

    /// "relay armed", "alarm on", "keep-power off": the part of the state a command is about.
    public static func summary(of state: MeterState, for kind: CommandKind) -> String {
        switch kind.group {
        case "relay": "relay \(state.relay.rawValue)"
        case "alarm": "alarm \(state.alarm ? "on" : "off")"
        case "keep_power": "keep-power \(state.keepPower ? "on" : "off")"
        default: kind.rawValue
        }
    }

    /// What the dispatcher does with a command just before sending it, given the plan the policy
    /// makes now.
    public enum Recheck: Sendable, Hashable {
        /// Still wanted: send it.
        case send
        /// No longer wanted (the customer paid, the data turned abnormal, …): supersede it.
        case supersede(reason: String)
        /// Wanted, but not yet (a trip whose window has closed): back to pending until then.
        case wait(until: Date, reason: String)
    }

    /// Whether `kind` for `meter` still holds under `plan` for an account whose meter is now
    /// `accountMeter`. `reason` is the command's (`CommandRecord.reason`), `isProtected` whether
    /// the account is protected now (itself or by its class).
    ///
    /// An operator's command (`operator_request`) is not the policy's decision, so the plan does
    /// not hold it back: it is sent as asked — except a trip of an account that became protected
    /// since it was queued, which is superseded (protection is never overridden, README "Operator
    /// commands").
    public static func recheck(_ kind: CommandKind, meter: String, accountMeter: String, plan: ControlPlan,
                               at now: Date, reason: String = "", isProtected: Bool = false) -> Recheck {
        guard meter == accountMeter else {
            return .supersede(reason: "the account's meter is now \(accountMeter), not \(meter)")
        }
        // Parameter writes and clock settings are not the policy's decisions.
        guard kind.isRemoteControl else { return .send }
        if reason == DecisionReason.operatorRequest.rawValue {
            guard kind == .trip && isProtected else { return .send }
            return .supersede(reason: "the account is protected now: an operator's trip is not sent")
        }
        guard let planned = plan.commands.first(where: { $0.kind == kind }) else {
            if kind == .trip || kind == .alarm, plan.held.contains(where: { $0.reason == .abnormalData }) {
                // Queued before the account's data was in doubt: an open abnormal-reading item
                // holds every adverse decision until an operator resolves it.
                return .supersede(reason: "held: the account's data is under review (an open abnormal-reading item), "
                    + "balance \(plan.balance.yuanString)")
            }
            let wanted = plan.commands.map(\.kind.rawValue).joined(separator: ", ")
            return .supersede(reason: "no longer wanted: balance \(plan.balance.yuanString), state \(plan.state.rawValue), "
                + (wanted.isEmpty ? "nothing to send" : "the policy now plans \(wanted)"))
        }
        if planned.notBefore > now {
            return .wait(until: planned.notBefore, reason: planned.detail)
        }
        return .send
    }
}
