import Tariffs

/// The meter's second alarm level (alarm amount limit 2, `04001002`) as a station decision of its
/// own: raised once when the balance falls to or below limit 2 (below the alarm threshold), on
/// data that can be trusted, for an account not released from fee control; cleared when the
/// alarm is released (balance above the alarm release level) or fee control is released.
public enum SecondAlarm {
    public enum Change: Sendable, Hashable {
        case raise
        case clear
    }

    /// What changes now, or nil.
    public static func change(isRaised: Bool, balance: Money, limit: Money, settings: ControlSettings, data: DataStatus)
        -> Change?
    {
        if isRaised {
            let released = settings.feeControl == .released || balance > settings.alarmReleaseLevel
            return released ? .clear : nil
        }
        guard case .normal = data, settings.feeControl != .released, balance <= limit else { return nil }
        return .raise
    }
}
