/// Run status word 3 (04000503, "operation class"): 16 bits, first data byte = bits 0…7.
public struct StatusWord3: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let timeSlotTableSet2 = StatusWord3(rawValue: 1 << 0)
    public static let programmingEnabled = StatusWord3(rawValue: 1 << 3)
    /// Bit 4: the relay is actually open (断).
    public static let relayOpen = StatusWord3(rawValue: 1 << 4)
    public static let timeZoneTableSet2 = StatusWord3(rawValue: 1 << 5)
    /// Bit 6: the relay has been commanded open.
    public static let relayCommandedOpen = StatusWord3(rawValue: 1 << 6)
    /// Bit 7: pre-trip alarm is on.
    public static let preTripAlarm = StatusWord3(rawValue: 1 << 7)
    /// Bits 8–9 = 10: a money-prepaid meter.
    public static let moneyPrepaid = StatusWord3(rawValue: 0b10 << 8)
    /// Bit 12: keep-power (保电) is active.
    public static let keepPower = StatusWord3(rawValue: 1 << 12)

    /// The two wire bytes, bits 0…7 first.
    public var wireBytes: [UInt8] { [UInt8(truncatingIfNeeded: rawValue), UInt8(truncatingIfNeeded: rawValue >> 8)] }

    public init(wireBytes bytes: [UInt8]) throws(DLT645Error) {
        guard bytes.count == 2 else {
            throw .unexpectedDataLength(function: FunctionCode.read.rawValue, length: bytes.count, expected: "2 bytes of status word 3")
        }
        rawValue = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
    }
}

/// The error-information word of an abnormal reply: one byte (standard) or two (ESAM mode).
public struct ErrorWord: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    /// 1 for the standard ERR byte, 2 for the ESAM control-command error status word.
    public let width: Int

    public init(_ rawValue: UInt8) { self.rawValue = UInt16(rawValue); width = 1 }
    public init(esam rawValue: UInt16) { self.rawValue = rawValue; width = 2 }

    // One-byte ERR bits.
    public static let other: UInt16 = 0x01
    public static let noRequestedData: UInt16 = 0x02
    public static let unauthorized: UInt16 = 0x04
    public static let baudRateFixed: UInt16 = 0x08
    public static let tooManyYearZones: UInt16 = 0x10
    public static let tooManyDaySlots: UInt16 = 0x20
    public static let tooManyTariffs: UInt16 = 0x40

    /// Wrong password or unauthorised, in either width (0004H means the same in ESAM mode).
    public var isUnauthorized: Bool { rawValue & 0x04 != 0 }
    /// The meter has no such data item (1-byte word only).
    public var isNoRequestedData: Bool { width == 1 && rawValue & 0x02 != 0 }
    /// ESAM mode: the trip was refused because keep-power is active.
    public var isKeepPowerRefusal: Bool { width == 2 && rawValue & 0x0060 != 0 }

    public var wireBytes: [UInt8] {
        width == 1 ? [UInt8(truncatingIfNeeded: rawValue)]
            : [UInt8(truncatingIfNeeded: rawValue), UInt8(truncatingIfNeeded: rawValue >> 8)]
    }

    public var description: String {
        let names: [(UInt16, String)] = width == 1
            ? [(0x01, "other error"), (0x02, "no requested data"), (0x04, "wrong password/unauthorised"),
               (0x08, "baud rate cannot be changed"), (0x10, "too many annual time zones"),
               (0x20, "too many daily time slots"), (0x40, "too many tariffs")]
            : [(0x0001, "meter suspended"), (0x0002, "MAC error"), (0x0004, "password error/unauthorised"),
               (0x0008, "identity-authentication timeout"), (0x0010, "execution time invalid"),
               (0x0020, "trip failed: keep-power active"), (0x0040, "trip-auto-restore failed: keep-power"),
               (0x0080, "trip-auto-restore duration invalid"), (0x0100, "trip-auto-restore failed: already tripped")]
        let set = names.filter { rawValue & $0.0 != 0 }.map(\.1)
        let code = width == 1 ? hex(UInt8(truncatingIfNeeded: rawValue)) : String(rawValue, radix: 16, uppercase: true) + "H"
        return "ERR \(code)" + (set.isEmpty ? "" : " (" + set.joined(separator: ", ") + ")")
    }
}
