import DLT645

/// What a meter knows of its surroundings while it handles one request.
public struct MeterEnvironment: Sendable {
    /// Simulated unix seconds.
    public var now: Int64
    /// Civil unix seconds, the base of the meter's own clock (equal to `now` unless the simulator
    /// is sped up: meter clocks keep real time).
    public var civilNow: Int64
    /// UTC offset of the meter's civil clock (the simulator's time zone).
    public var utcOffsetSeconds: Int64
    /// This meter's load.
    public var watts: Int64
    /// How consumption lands in the registers.
    public var consumption: ConsumptionModel
    /// The control and write password the meter accepts.
    public var password: Password
    /// Whether allow-close (1BH) closes the relay at once instead of arming it.
    public var autoClose: Bool
    /// What the meter shows for parameters nobody wrote.
    public var defaults: ParameterDefaults

    /// Bundles the environment of one request.
    public init(now: Int64, civilNow: Int64? = nil, utcOffsetSeconds: Int64, watts: Int64,
                consumption: ConsumptionModel, password: Password, autoClose: Bool = false,
                defaults: ParameterDefaults = ParameterDefaults()) {
        self.now = now
        self.civilNow = civilNow ?? now
        self.utcOffsetSeconds = utcOffsetSeconds
        self.watts = watts
        self.consumption = consumption
        self.password = password
        self.autoClose = autoClose
        self.defaults = defaults
    }

    /// What `meter`'s own clock shows (civil time plus its offset), or nil outside 2000…2099.
    public func clock(of meter: MeterState) -> MeterDateTime? {
        CivilTime.meterDateTime(unixSecond: civilNow + Int64(meter.clockOffset), utcOffsetSeconds: utcOffsetSeconds)
    }
}

/// The pure behaviour of one meter: request + state + now → reply + new state. No I/O.
///
/// Choices where real firmwares differ (PROTOCOL.md §3), made here and relied on by the tests:
/// - wrong password (1CH or 14H) → abnormal reply with ERR 04;
/// - 14H of an identifier that is not writable, or a malformed value → D4H with ERR 01;
/// - validity deadline already passed (meter's local clock) → DC with ERR 01;
/// - trip while keep-power is on → DC with ERR 01 (the relay stays as it is);
/// - trip with auto-restore (1DH, 1EH) is not simulated → DC with ERR 01;
/// - keep-power only sets the flag; it does not close an open relay;
/// - allow-close on a closed relay leaves it closed; on an open one it arms (or, with
///   `autoClose`, closes) it.
public enum MeterBehavior {
    /// Handles `request` addressed to the meter at `address` (its real address). Returns nil when
    /// a meter stays silent (broadcasts). `parameters` holds the values written with 14H.
    public static func handle(_ request: Request, address: MeterAddress, meter: inout MeterState,
                              parameters: inout WrittenParameters, environment env: MeterEnvironment) -> Reply? {
        env.consumption.advance(&meter, to: env.now, watts: env.watts)
        switch request {
        case .read(_, let di, _):
            return MeterReads.reply(to: di, address: address, meter: meter, parameters: parameters, environment: env)
        case .readAddress:
            return .address(address)
        case .readFollowUp:
            return .abnormal(address, .readFollowUp, ErrorWord(UInt8(ErrorWord.noRequestedData)))
        case .write(_, let di, let password, _, let value):
            return MeterWrites.apply(di, value: value, password: password, address: address, meter: &meter,
                                     parameters: &parameters, environment: env)
        case .remoteControl(_, let control):
            return RelayLogic.apply(control, address: address, meter: &meter, environment: env)
        case .broadcastTime:
            return nil
        }
    }

    /// Status word 3 of a meter: bit 4 relay actually open (open or armed), bit 6 relay commanded
    /// open (open only: after allow-close the command state is "close"), bit 7 alarm, bit 12
    /// keep-power, bits 8–9 = 10 (money-prepaid). With read-back lies the relay bits show the
    /// state before the last relay command instead.
    public static func statusWord3(of meter: MeterState) -> StatusWord3 {
        let relay = meter.readBackLies ? meter.relayBeforeLastControl : meter.relay
        var word: StatusWord3 = .moneyPrepaid
        if relay != .closed { word.insert(.relayOpen) }
        if relay == .open { word.insert(.relayCommandedOpen) }
        if meter.alarm { word.insert(.preTripAlarm) }
        if meter.keepPower { word.insert(.keepPower) }
        return word
    }
}
