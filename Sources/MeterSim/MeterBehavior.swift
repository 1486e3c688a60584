import DLT645

/// What a meter knows of its surroundings while it handles one request.
public struct MeterEnvironment: Sendable {
    /// Simulated unix seconds.
    public var now: Int64
    /// Civil unix seconds, the base of the meter's own clock (equal to `now` unless the simulator
    /// is sped up: meter clocks keep real time).
    public var civilNow: Int64
    /// How far the meter's clock runs ahead of civil time (set by broadcast time, 08H).
    public var clockOffset: Int64
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

    /// Bundles the environment of one request.
    public init(now: Int64, civilNow: Int64? = nil, clockOffset: Int64 = 0, utcOffsetSeconds: Int64, watts: Int64,
                consumption: ConsumptionModel, password: Password, autoClose: Bool = false) {
        self.now = now
        self.civilNow = civilNow ?? now
        self.clockOffset = clockOffset
        self.utcOffsetSeconds = utcOffsetSeconds
        self.watts = watts
        self.consumption = consumption
        self.password = password
        self.autoClose = autoClose
    }

    /// The meter's own clock, as civil time.
    public var meterClock: MeterDateTime? {
        CivilTime.meterDateTime(unixSecond: civilNow + clockOffset, utcOffsetSeconds: utcOffsetSeconds)
    }
}

/// The pure behaviour of one meter: request + state + now → reply + new state. No I/O.
///
/// Choices where real firmwares differ (PROTOCOL.md §3), made here and relied on by the tests:
/// - wrong password (1CH or 14H) → abnormal reply with ERR 04;
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
                              parameters: inout [UInt32: [UInt8]], environment env: MeterEnvironment) -> Reply? {
        env.consumption.advance(&meter, to: env.now, watts: env.watts, clockOffset: env.clockOffset)
        switch request {
        case .read(_, let di, _):
            return MeterReads.reply(to: di, address: address, meter: meter, parameters: parameters, environment: env)
        case .readAddress:
            return .address(address)
        case .readFollowUp:
            return .abnormal(address, .readFollowUp, ErrorWord(UInt8(ErrorWord.noRequestedData)))
        case .write(_, let di, let password, _, let value):
            return write(di, value: value, password: password, address: address, parameters: &parameters, environment: env)
        case .remoteControl(_, let control):
            return RelayLogic.apply(control, address: address, meter: &meter, environment: env)
        case .broadcastTime:
            return nil
        }
    }

    /// Status word 3 of a meter: bit 4 relay actually open (open or armed), bit 6 relay commanded
    /// open (open only: after allow-close the command state is "close"), bit 7 alarm, bit 12
    /// keep-power, bits 8–9 = 10 (money-prepaid).
    public static func statusWord3(of meter: MeterState) -> StatusWord3 {
        var word: StatusWord3 = .moneyPrepaid
        if meter.relay != .closed { word.insert(.relayOpen) }
        if meter.relay == .open { word.insert(.relayCommandedOpen) }
        if meter.alarm { word.insert(.preTripAlarm) }
        if meter.keepPower { word.insert(.keepPower) }
        return word
    }

    /// The clock offset that makes a meter's clock show `time` (broadcast time sync, 08H).
    public static func clockOffset(settingClockTo time: MeterDateTime, now: Int64, utcOffsetSeconds: Int64) -> Int64 {
        CivilTime.unixSecond(of: time, utcOffsetSeconds: utcOffsetSeconds) - now
    }

    /// Identifiers a master may write (14H): amount limits 04001001…04001005, energy limits
    /// 04000F01…04000F04 and the two price sets 04050101…04, 04050201…04; each a 4-byte BCD value.
    static func isWritable(_ di: DataIdentifier) -> Bool {
        let v = di.rawValue
        return (0x0400_1001...0x0400_1005).contains(v) || (0x0400_0F01...0x0400_0F04).contains(v)
            || (0x0405_0101...0x0405_0104).contains(v) || (0x0405_0201...0x0405_0204).contains(v)
    }

    private static func write(_ di: DataIdentifier, value: [UInt8], password: Password, address: MeterAddress,
                              parameters: inout [UInt32: [UInt8]], environment env: MeterEnvironment) -> Reply {
        guard password == env.password else { return .abnormal(address, .write, ErrorWord(UInt8(ErrorWord.unauthorized))) }
        guard isWritable(di) else { return .abnormal(address, .write, ErrorWord(UInt8(ErrorWord.noRequestedData))) }
        guard value.count == 4, (try? BCD.decode(value)) != nil else {
            return .abnormal(address, .write, ErrorWord(UInt8(ErrorWord.other)))
        }
        parameters[di.rawValue] = value
        return .acknowledged(address, .write)
    }
}
