import DLT645

/// Remote control (1CH): password, validity deadline, then the relay, alarm and keep-power
/// transitions of a cost-control meter. Pure; see `MeterBehavior` for the choices made. An
/// accepted relay command (1AH, 1BH, 1CH) remembers the relay state before it, which a meter with
/// read-back lies keeps reporting in status word 3.
public enum RelayLogic {
    /// Applies `control` to `meter`, returning the 9CH acknowledgement or the DCH refusal.
    public static func apply(_ control: RemoteControl, address: MeterAddress, meter: inout MeterState,
                             environment env: MeterEnvironment) -> Reply {
        func refuse(_ err: UInt16) -> Reply { .abnormal(address, .remoteControl, ErrorWord(UInt8(err))) }
        guard control.password == env.password else { return refuse(ErrorWord.unauthorized) }
        guard let clock = env.clock(of: meter), !(control.deadline < clock) else { return refuse(ErrorWord.other) }
        let before = meter.relay
        switch control.command {
        case .trip:
            guard !meter.keepPower else { return refuse(ErrorWord.other) }
            meter.relay = .open
            meter.relayBeforeLastControl = before
        case .allowClose:
            if meter.relay != .closed { meter.relay = env.autoClose ? .closed : .armed }
            meter.relayBeforeLastControl = before
        case .directClose:
            meter.relay = .closed
            meter.relayBeforeLastControl = before
        case .alarm:
            meter.alarm = true
        case .alarmRelease:
            meter.alarm = false
        case .keepPower:
            meter.keepPower = true
        case .keepPowerRelease:
            meter.keepPower = false
        case .tripAutoRestoreClose, .tripAutoRestoreAllow:
            return refuse(ErrorWord.other)
        }
        return .acknowledged(address, .remoteControl)
    }

    /// The customer presses the meter's button: an armed relay closes; otherwise nothing happens.
    /// Returns whether the relay closed.
    @discardableResult
    public static func pressButton(_ meter: inout MeterState) -> Bool {
        guard meter.relay == .armed else { return false }
        meter.relay = .closed
        return true
    }
}
