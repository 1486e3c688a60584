/// The function of a frame (control code bits D4...D0).
public struct FunctionCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x1F }

    public static let securityAuthentication = FunctionCode(rawValue: 0x03)
    public static let broadcastTime = FunctionCode(rawValue: 0x08)
    public static let read = FunctionCode(rawValue: 0x11)
    public static let readFollowUp = FunctionCode(rawValue: 0x12)
    public static let readAddress = FunctionCode(rawValue: 0x13)
    public static let write = FunctionCode(rawValue: 0x14)
    public static let writeAddress = FunctionCode(rawValue: 0x15)
    public static let freeze = FunctionCode(rawValue: 0x16)
    public static let changeBaudRate = FunctionCode(rawValue: 0x17)
    public static let changePassword = FunctionCode(rawValue: 0x18)
    public static let clearMaxDemand = FunctionCode(rawValue: 0x19)
    public static let clearMeter = FunctionCode(rawValue: 0x1A)
    public static let clearEvents = FunctionCode(rawValue: 0x1B)
    /// Trip/close, alarm and keep-power (State Grid cost-control addition).
    public static let remoteControl = FunctionCode(rawValue: 0x1C)
    public static let terminalOutput = FunctionCode(rawValue: 0x1D)

    public var description: String { hex(rawValue) }
}

/// The control byte C: direction (D7), abnormal reply (D6), follow-up frames (D5), function.
public struct ControlCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A master-to-meter request of `function`.
    public static func request(_ function: FunctionCode) -> ControlCode {
        ControlCode(rawValue: function.rawValue)
    }

    /// A meter-to-master reply of `function`.
    public static func reply(_ function: FunctionCode, abnormal: Bool = false, followUp: Bool = false) -> ControlCode {
        ControlCode(rawValue: 0x80 | (abnormal ? 0x40 : 0) | (followUp ? 0x20 : 0) | function.rawValue)
    }

    public var function: FunctionCode { FunctionCode(rawValue: rawValue) }
    /// D7: set on meter-to-master replies.
    public var isReply: Bool { rawValue & 0x80 != 0 }
    /// D6: set on abnormal (error) replies.
    public var isAbnormal: Bool { rawValue & 0x40 != 0 }
    /// D5: more frames follow.
    public var hasFollowUp: Bool { rawValue & 0x20 != 0 }

    public var description: String { hex(rawValue) }
}

/// A 4-byte data identifier, written DI3 DI2 DI1 DI0 (`00010000`) and sent DI0 first.
public struct DataIdentifier: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Parses 8 hex digits as written in the standard (`"0001FF00"`).
    public init(_ text: String) throws(DLT645Error) {
        guard text.utf8.count == 8, let v = UInt32(text, radix: 16) else { throw .invalidDataIdentifier(text) }
        rawValue = v
    }

    /// Reads four wire bytes (DI0 first).
    public init<C: Collection<UInt8>>(wireBytes bytes: C) {
        var v: UInt32 = 0
        for (i, b) in bytes.prefix(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        rawValue = v
    }

    /// The four bytes as sent, DI0 first.
    public var wireBytes: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> (8 * UInt32($0))) } }

    public var description: String {
        let s = String(rawValue, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    // Energy (XXXXXX.XX kWh).
    public static let combinedActiveTotal = DataIdentifier(rawValue: 0x0000_0000)
    public static let forwardActiveTotal = DataIdentifier(rawValue: 0x0001_0000)
    /// Forward active energy of tariff register 1...4 (sharp, peak, flat, valley).
    public static func forwardActiveTariff(_ n: Int) -> DataIdentifier {
        DataIdentifier(rawValue: 0x0001_0000 | UInt32(n & 0x3F) << 8)
    }
    /// Forward active block: total, then tariffs 1...n.
    public static let forwardActiveBlock = DataIdentifier(rawValue: 0x0001_FF00)
    public static let reverseActiveTotal = DataIdentifier(rawValue: 0x0002_0000)
    public static let remainingEnergy = DataIdentifier(rawValue: 0x0090_0100)
    public static let overdraftEnergy = DataIdentifier(rawValue: 0x0090_0101)
    // Money (XXXXXX.XX yuan).
    public static let remainingAmount = DataIdentifier(rawValue: 0x0090_0200)
    public static let overdraftAmount = DataIdentifier(rawValue: 0x0090_0201)
    public static let alarmAmountLimit1 = DataIdentifier(rawValue: 0x0400_1001)
    public static let alarmAmountLimit2 = DataIdentifier(rawValue: 0x0400_1002)
    public static let overdraftAmountLimit = DataIdentifier(rawValue: 0x0400_1003)
    // Clock and identity.
    public static let date = DataIdentifier(rawValue: 0x0400_0101)
    public static let time = DataIdentifier(rawValue: 0x0400_0102)
    public static let communicationAddress = DataIdentifier(rawValue: 0x0400_0401)
    // Status.
    public static let statusWord3 = DataIdentifier(rawValue: 0x0400_0503)
    // Prices (XXXX.XXXX yuan/kWh).
    /// Price of tariff 1...4 in the first (active) price set.
    public static func tariffPrice(_ n: Int) -> DataIdentifier {
        DataIdentifier(rawValue: 0x0405_0100 | UInt32(n & 0xFF))
    }
    public static let currentPrice = DataIdentifier(rawValue: 0x0280_0020)
}
