import Foundation
import Tariffs

/// Whether the data behind a balance can be trusted.
public enum DataStatus: Sendable, Hashable {
    case normal
    /// The account's data is under review: an abnormal-reading review item is open (the
    /// reasons are the latest reading's, empty when it looked normal or none was read). No
    /// adverse decision (alarm, trip) is taken until an operator has resolved it
    /// (`AbnormalDataHold`).
    case abnormal([AbnormalReason])
}

/// The control policy: from an account's balance, settings and last known meter state, the
/// desired meter state and the commands that get it there. Pure: the instant is a parameter.
///
/// Rules, in order of precedence:
/// - Allow-close (direct close for protected accounts) is never deferred or held: it goes first.
///   It is planned for an open relay once the balance is above trip + margin, even on abnormal
///   data, because it rests on payments, and keeping a paying customer dark over a faulty read
///   is the worse error.
/// - Protected accounts get keep-power and are never tripped; losing protection releases it.
/// - The alarm goes on at or below the alarm threshold and is released above alarm + margin.
/// - A trip is planned at or below the trip threshold, after the alarm (alarm ≥ trip, so the alarm
///   is always planned first or already on). Outside a window or on a holiday it is deferred to
///   the next window opening, never dropped. While the account's data is under review (an open
///   abnormal-reading item) neither alarm nor trip is planned, whatever the balance.
public struct ControlPolicy: Sendable, Hashable {
    /// When trips may be carried out.
    public let calendar: TripCalendar

    public init(calendar: TripCalendar) { self.calendar = calendar }

    /// Plans the commands for one account at `now`.
    public func evaluate(
        balance: Money, settings: ControlSettings, meter: MeterState, data: DataStatus, at now: Date
    ) -> ControlPlan {
        var commands: [PlannedCommand] = []
        var held: [HeldDecision] = []
        let abnormal: Bool
        if case .abnormal = data { abnormal = true } else { abnormal = false }
        func plan(_ kind: CommandKind, _ reason: DecisionReason, _ detail: String, notBefore: Date? = nil) {
            commands.append(PlannedCommand(
                kind: kind, reason: reason, detail: detail, balance: balance,
                notBefore: notBefore ?? now, isDeferred: notBefore != nil))
        }
        func hold(_ reason: DecisionReason, _ detail: String) {
            held.append(HeldDecision(reason: reason, detail: detail, balance: balance))
        }
        // Formatted only for a command or a hold that names it (most readings plan neither).
        var shown: String { "balance \(balance.yuanString)" }
        if settings.feeControl == .released {
            return releasedPlan(balance: balance, meter: meter, at: now)
        }
        let trip = settings.trip.balance
        let alarm = settings.alarm.balance

        // Relay closing and protection first: these are never deferred.
        var relay: DesiredRelay = .closedAllowed
        if settings.isProtected {
            if meter.relay != .closed {
                plan(.directClose, .protectedAccount, "protected account: power must stay on")
            }
            if !meter.keepPower {
                plan(.keepPower, .protectedAccount, "protected account: meter must refuse trips")
            }
        } else {
            if meter.relay == .open {
                if balance > settings.reconnectLevel {
                    plan(.allowClose, .balanceAboveReconnectLevel,
                         "\(shown) above reconnect level \(settings.reconnectLevel.yuanString) (trip \(trip.yuanString) + margin \(settings.reconnectMargin.amount.yuanString))")
                } else {
                    relay = .open
                    if balance > trip {
                        hold(.withinHysteresis, "\(shown) not above reconnect level \(settings.reconnectLevel.yuanString); relay stays open")
                    }
                }
            }
            if meter.keepPower {
                plan(.keepPowerRelease, .protectionLifted, "account no longer protected")
            }
        }

        // Alarm: on at or below the threshold, off only above threshold + margin.
        var alarmOn = meter.alarm
        if meter.alarm {
            if balance > settings.alarmReleaseLevel {
                plan(.alarmRelease, .balanceAboveAlarmRelease,
                     "\(shown) above alarm release level \(settings.alarmReleaseLevel.yuanString)")
                alarmOn = false
            } else if balance > alarm {
                hold(.withinHysteresis, "\(shown) not above alarm release level \(settings.alarmReleaseLevel.yuanString); alarm stays on")
            }
        } else if balance <= alarm {
            if abnormal {
                hold(.abnormalData, "\(shown) at or below alarm threshold \(alarm.yuanString), but the account's data is under review")
            } else {
                plan(.alarm, .balanceAtOrBelowAlarm, "\(shown) at or below alarm threshold \(alarm.yuanString)")
                alarmOn = true
            }
        }

        // Trip: after the alarm, only inside a window, never for protected accounts.
        if meter.relay != .open && balance <= trip {
            let detail = "\(shown) at or below trip threshold \(trip.yuanString)"
            if settings.isProtected {
                hold(.protectedNotTripped, detail + "; protected account is not tripped")
            } else if settings.feeControl == .pending {
                hold(.feeControlPending, detail + "; fee control pending (meter parameters not yet confirmed): not tripped")
            } else if abnormal {
                hold(.abnormalData, detail + ", but the account's data is under review")
            } else if calendar.isOpen(at: now) {
                plan(.trip, .balanceAtOrBelowTrip, detail)
                relay = .open
            } else if let opening = calendar.nextOpening(atOrAfter: now) {
                let holiday = calendar.isHoliday(at: now)
                let when = RFC3339.format(opening, in: calendar.timeZone)
                plan(.trip, holiday ? .tripDeferredHoliday : .tripDeferredOutsideWindow,
                     detail + (holiday ? "; holiday" : "; outside trip windows") + ", deferred to \(when)",
                     notBefore: opening)
                relay = .open
            } else {
                hold(.noTripWindow, detail + "; no trip window ahead")
            }
        }

        let desired = DesiredMeterState(relay: relay, alarm: alarmOn, keepPower: settings.isProtected)
        let state: AccountControlState
        if abnormal {
            state = .abnormal
        } else if settings.isProtected {
            state = .protected
        } else if relay == .open {
            state = .tripped
        } else if alarmOn {
            state = .alarm
        } else {
            state = .normal
        }
        return ControlPlan(
            evaluatedAt: now, balance: balance, desired: desired, commands: commands, held: held, state: state)
    }

    /// Released from fee control: whatever the balance, control is lifted (allow-close for an
    /// open relay, alarm released) and nothing adverse is planned. Keep-power is left as it is.
    private func releasedPlan(balance: Money, meter: MeterState, at now: Date) -> ControlPlan {
        var commands: [PlannedCommand] = []
        let why = "fee control released: control lifted"
        if meter.relay == .open {
            commands.append(PlannedCommand(kind: .allowClose, reason: .feeControlRelease, detail: why, balance: balance,
                                           notBefore: now, isDeferred: false))
        }
        if meter.alarm {
            commands.append(PlannedCommand(kind: .alarmRelease, reason: .feeControlRelease, detail: why, balance: balance,
                                           notBefore: now, isDeferred: false))
        }
        return ControlPlan(
            evaluatedAt: now, balance: balance,
            desired: DesiredMeterState(relay: .closedAllowed, alarm: false, keepPower: meter.keepPower), commands: commands,
            held: [HeldDecision(reason: .feeControlReleased, detail: "balance \(balance.yuanString): \(why)", balance: balance)],
            state: .normal)
    }
}
