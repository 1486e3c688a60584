/// N1 of a 1CH remote-control request: what the meter should do.
public enum RemoteControlCommand: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// 1AH: open the relay.
    case trip = 0x1A
    /// 1BH: allow closing; the relay closes on a local action (button, card).
    case allowClose = 0x1B
    /// 1CH: close at once.
    case directClose = 0x1C
    /// 1DH: trip, then close directly when N2's duration runs out.
    case tripAutoRestoreClose = 0x1D
    /// 1EH: trip, then allow close when N2's duration runs out.
    case tripAutoRestoreAllow = 0x1E
    /// 2AH: pre-trip alarm on.
    case alarm = 0x2A
    /// 2BH: alarm off.
    case alarmRelease = 0x2B
    /// 3AH: keep power; trips are refused while active.
    case keepPower = 0x3A
    /// 3BH: keep-power off.
    case keepPowerRelease = 0x3B

    public var description: String {
        switch self {
        case .trip: "trip"
        case .allowClose: "allow_close"
        case .directClose: "direct_close"
        case .tripAutoRestoreClose: "trip_auto_restore_close"
        case .tripAutoRestoreAllow: "trip_auto_restore_allow"
        case .alarm: "alarm"
        case .alarmRelease: "alarm_release"
        case .keepPower: "keep_power"
        case .keepPowerRelease: "keep_power_release"
        }
    }
}

/// The data of a plaintext 1CH request: password, operator, N1, N2, validity deadline (L = 10H).
public struct RemoteControl: Hashable, Sendable {
    public var password: Password
    public var operatorCode: OperatorCode
    public var command: RemoteControlCommand
    /// N2: reserved (00H), or the auto-restore duration for 1DH/1EH.
    public var n2: UInt8
    /// The instant after which the meter must refuse the command (meter's local time).
    public var deadline: MeterDateTime

    public init(password: Password, operatorCode: OperatorCode, command: RemoteControlCommand,
                n2: UInt8 = 0, deadline: MeterDateTime) {
        self.password = password
        self.operatorCode = operatorCode
        self.command = command
        self.n2 = n2
        self.deadline = deadline
    }

    /// The 16 plain data bytes.
    public var dataBytes: [UInt8] {
        password.bytes + operatorCode.wireBytes + [command.rawValue, n2] + deadline.wireBytes
    }

    public init(dataBytes d: [UInt8]) throws(DLT645Error) {
        guard d.count == 16 else {
            throw .unexpectedDataLength(function: FunctionCode.remoteControl.rawValue, length: d.count, expected: "16")
        }
        guard let command = RemoteControlCommand(rawValue: d[8]) else { throw .unknownControlCommand(d[8]) }
        self.init(password: try Password(wireBytes: Array(d[0..<4])),
                  operatorCode: OperatorCode(wireBytes: Array(d[4..<8])),
                  command: command, n2: d[9],
                  deadline: try MeterDateTime(wireBytes: Array(d[10..<16])))
    }
}
