/// Whether an account is under fee control (费控投入/解除), INTERFACES.md "Meter management".
public enum FeeControlState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Enrolled, its parameters not yet all confirmed in the meter: never tripped.
    case pending
    /// Controlled by the policy (the v1 behaviour).
    case active
    /// No control decisions: a trip in force is lifted, alarms released.
    case released
}

/// What happens to an account's fee control.
public enum FeeControlEvent: String, Sendable, Hashable, CaseIterable {
    /// An operator enrols it: its limits and prices go into the meter.
    case enrol
    /// Every write the enrolment queued was confirmed by reading it back.
    case writesConfirmed = "writes_confirmed"
    /// An operator releases it.
    case release
}

/// What the station does besides moving the state.
public enum FeeControlEffect: Sendable, Hashable {
    /// Queue the enrolment writes: alarm limits 1 and 2, the prices in force as the first set.
    case queueEnrolmentWrites
}

/// A move of the fee-control lifecycle.
public struct FeeControlTransition: Sendable, Hashable {
    public let to: FeeControlState
    public let effects: [FeeControlEffect]

    public init(to: FeeControlState, effects: [FeeControlEffect] = []) {
        self.to = to
        self.effects = effects
    }
}

/// The fee-control lifecycle as a pure function:
///
/// ```
///             enrol (writes queued)          writes confirmed
///  released ───────────────────▶ pending ─────────────────────▶ active
///     ▲                            │  ▲                          │
///     └──────── release ───────────┘  └── (enrol: writes again) ─┘ enrol: writes again, stays active
///     ▲                                                          │
///     └────────────────────────── release ───────────────────────┘
/// ```
///
/// An active account enrolled again keeps being controlled while its parameters are pushed again:
/// going back to pending would stop trips for a customer the station already controls. A
/// confirmation that arrives after a release (a write still in flight) changes nothing.
public enum FeeControlLifecycle {
    public static func transition(from state: FeeControlState, on event: FeeControlEvent) -> FeeControlTransition {
        switch (state, event) {
        case (.released, .enrol), (.pending, .enrol):
            FeeControlTransition(to: .pending, effects: [.queueEnrolmentWrites])
        case (.active, .enrol):
            FeeControlTransition(to: .active, effects: [.queueEnrolmentWrites])
        case (.pending, .writesConfirmed), (.active, .writesConfirmed):
            FeeControlTransition(to: .active)
        case (.released, .writesConfirmed):
            FeeControlTransition(to: .released)
        case (_, .release):
            FeeControlTransition(to: .released)
        }
    }
}
