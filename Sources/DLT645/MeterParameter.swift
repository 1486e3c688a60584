/// How a writable meter parameter is laid out (PROTOCOL.md §4): BCD, low byte first.
public enum ParameterFormat: Sendable, Hashable {
    /// `XXXXXX.XX` yuan, 4 bytes (alarm and overdraft limits).
    case amount
    /// `XXXX.XXXX` yuan/kWh, 4 bytes (prices).
    case price
    /// `YYMMDDhhmm`, 5 bytes (the switch time of the two price sets).
    case minuteStamp
    /// `YYMMDDWW`, 4 bytes (the meter's date and weekday, 0 = Sunday).
    case dateWeekday
    /// `hhmmss`, 3 bytes (the meter's time of day).
    case timeOfDay

    /// Bytes on the wire.
    public var byteCount: Int {
        switch self {
        case .amount, .price, .dateWeekday: 4
        case .minuteStamp: 5
        case .timeOfDay: 3
        }
    }

    /// Digits after the decimal point in the text form (0: a plain digit string).
    public var decimals: Int {
        switch self {
        case .amount: 2
        case .price: 4
        case .minuteStamp, .dateWeekday, .timeOfDay: 0
        }
    }

    /// The value in wire bytes from its text form: `"20.00"`, `"0.5680"`, `"2612312359"`.
    /// Decimal formats accept fewer decimals (`"20"` is 20.00), never more; digit strings must
    /// have every digit.
    public func encode(_ text: String) throws(DLT645Error) -> [UInt8] {
        let units = try Self.units(of: text, decimals: decimals, digits: decimals == 0 ? byteCount * 2 : nil, format: "\(self)")
        return try BCD.encode(units, byteCount: byteCount)
    }

    /// The text form of wire bytes, as the meter shows the value: `"20.00"`, `"2612312359"`.
    public func text(of bytes: [UInt8]) throws(DLT645Error) -> String {
        guard bytes.count == byteCount else {
            throw .valueOutOfRange(value: "\(bytes.count) bytes", format: "\(self) needs \(byteCount) bytes")
        }
        let value = Int64(try BCD.decode(bytes))
        switch self {
        case .amount: return NumberFormat.hundredthsText(value)
        case .price: return NumberFormat.tenThousandthsText(value)
        case .minuteStamp, .dateWeekday, .timeOfDay: return MeterMinute.digits(of: bytes)
        }
    }

    /// Whether a meter takes `bytes` as a value of this format: the right length, BCD, and for a
    /// date or a minute a real one (a minute stamp of all zeros means "no switch planned").
    public func accepts(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == byteCount, (try? BCD.decode(bytes)) != nil else { return false }
        switch self {
        case .amount, .price: return true
        case .dateWeekday: return (try? MeterDate(wireBytes: bytes)) != nil
        case .timeOfDay: return (try? MeterTimeOfDay(wireBytes: bytes)) != nil
        case .minuteStamp: return bytes.allSatisfy { $0 == 0 } || (try? MeterMinute(wireBytes: bytes)) != nil
        }
    }

    /// The canonical text of `text` (`"20"` → `"20.00"`), or the reason it is not a value of this format.
    public func canonical(_ text: String) throws(DLT645Error) -> String {
        try self.text(of: encode(text))
    }

    private static func units(of text: String, decimals: Int, digits: Int?, format: String) throws(DLT645Error) -> UInt64 {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts.first.map(String.init) ?? ""
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        guard parts.count <= (decimals > 0 ? 2 : 1), !whole.isEmpty, fraction.count <= decimals,
              (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber }),
              digits.map({ whole.count == $0 }) ?? (whole.count + decimals <= 8)
        else {
            throw .valueOutOfRange(value: text, format: format)
        }
        guard let value = UInt64(whole + fraction + String(repeating: "0", count: decimals - fraction.count)) else {
            throw .valueOutOfRange(value: text, format: format)
        }
        return value
    }
}

/// A parameter a meter keeps and the station writes with 14H, confirmed by reading it back.
public struct MeterParameter: Sendable, Hashable {
    public let identifier: DataIdentifier
    public let format: ParameterFormat
    /// What it is, for messages: "alarm amount limit 1".
    public let name: String

    public init(_ identifier: DataIdentifier, _ format: ParameterFormat, _ name: String) {
        self.identifier = identifier
        self.format = format
        self.name = name
    }

    /// Every parameter the station writes (INTERFACES.md "Meter management").
    public static let writable: [MeterParameter] = [
        MeterParameter(.alarmAmountLimit1, .amount, "alarm amount limit 1"),
        MeterParameter(.alarmAmountLimit2, .amount, "alarm amount limit 2"),
        MeterParameter(.overdraftAmountLimit, .amount, "overdraft amount limit"),
        MeterParameter(.closeAllowedAmountLimit, .amount, "close-allowed amount limit"),
        MeterParameter(.priceSetSwitchTime, .minuteStamp, "price set switch time"),
        MeterParameter(.date, .dateWeekday, "date and weekday"),
        MeterParameter(.time, .timeOfDay, "time"),
    ] + (1...4).flatMap { n in
        [MeterParameter(.tariffPrice(n), .price, "price \(n), first set"),
         MeterParameter(.secondSetTariffPrice(n), .price, "price \(n), second set")]
    }

    /// The writable parameter with this identifier.
    public static func named(_ identifier: DataIdentifier) -> MeterParameter? {
        writable.first { $0.identifier == identifier }
    }
}
