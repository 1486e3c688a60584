/// The relay of a cost-control meter, as last read or acknowledged.
public enum RelayState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Power on.
    case closed
    /// Tripped: power off.
    case open
    /// Allowed to close: still open until the customer presses the meter's button.
    case armed
}

/// What the station last knew of a meter's control state.
public struct MeterState: Sendable, Hashable, Codable {
    public var relay: RelayState
    public var alarm: Bool
    public var keepPower: Bool

    public init(relay: RelayState, alarm: Bool = false, keepPower: Bool = false) {
        self.relay = relay
        self.alarm = alarm
        self.keepPower = keepPower
    }

    /// The meter's state once it has carried out `kind` (acknowledged remotely, or done on site
    /// by a field crew). Allow-close arms an open relay (the customer closes it) and leaves a
    /// closed one closed.
    public func after(_ kind: CommandKind) -> MeterState {
        var s = self
        switch kind {
        case .trip: s.relay = .open
        case .allowClose: s.relay = relay == .closed ? .closed : .armed
        case .directClose: s.relay = .closed
        case .alarm: s.alarm = true
        case .alarmRelease: s.alarm = false
        case .keepPower: s.keepPower = true
        case .keepPowerRelease: s.keepPower = false
        case .write, .clockBroadcast, .clockWrite: break  // parameters and clocks, not the control state
        }
        return s
    }
}

/// Where the relay should be.
public enum DesiredRelay: String, Sendable, Hashable, Codable {
    /// Closed, or allowed to close (armed counts: the customer closes it).
    case closedAllowed = "closed_allowed"
    /// Tripped.
    case open
}

/// The state the policy wants the meter in.
public struct DesiredMeterState: Sendable, Hashable, Codable {
    public var relay: DesiredRelay
    public var alarm: Bool
    public var keepPower: Bool

    public init(relay: DesiredRelay, alarm: Bool, keepPower: Bool) {
        self.relay = relay
        self.alarm = alarm
        self.keepPower = keepPower
    }
}

/// The account's control state as the API reports it (`state`).
public enum AccountControlState: String, Sendable, Hashable, Codable, CaseIterable {
    case normal, alarm, tripped, protected, abnormal
}
