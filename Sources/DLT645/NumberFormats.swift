/// The fixed-point number formats of DL/T 645 and their integer units (DESIGN.md: Units).
///
/// No floating point anywhere: `XXXXXX.XX` is carried as an `Int64` of hundredths, which is exactly
/// the station's energy unit (hundredths of a kWh) and fen for money; `XXXX.XXXX` as
/// ten-thousandths (a price in 1/10000 yuan per kWh).
public enum NumberFormat {
    /// Largest magnitude of a signed `XXXXXX.XX`: bit 7 of the highest byte is the sign, so the
    /// top digit is at most 7.
    public static let signedHundredthsLimit: Int64 = 79_999_999
    /// Largest unsigned `XXXXXX.XX` (999999.99), where energy registers roll over.
    public static let unsignedHundredthsLimit: Int64 = 99_999_999

    /// Decodes 4-byte `XXXXXX.XX` with the sign in bit 7 of the last (highest) byte.
    public static func decodeSignedHundredths(_ bytes: [UInt8]) throws(DLT645Error) -> Int64 {
        try expectCount(bytes, 4, "XXXXXX.XX")
        var magnitudeBytes = bytes
        let negative = bytes[3] & 0x80 != 0
        magnitudeBytes[3] &= 0x7F
        let magnitude = Int64(try BCD.decode(magnitudeBytes))
        return negative ? -magnitude : magnitude
    }

    /// Encodes hundredths as signed 4-byte `XXXXXX.XX`.
    public static func encodeSignedHundredths(_ value: Int64) throws(DLT645Error) -> [UInt8] {
        guard value >= -signedHundredthsLimit, value <= signedHundredthsLimit else {
            throw .valueOutOfRange(value: String(value), format: "signed XXXXXX.XX (hundredths)")
        }
        var bytes = try BCD.encode(UInt64(value.magnitude), byteCount: 4)
        if value < 0 { bytes[3] |= 0x80 }
        return bytes
    }

    /// Decodes 4-byte unsigned `XXXXXX.XX` (energy registers: 0...999999.99 kWh).
    public static func decodeUnsignedHundredths(_ bytes: [UInt8]) throws(DLT645Error) -> Int64 {
        try expectCount(bytes, 4, "XXXXXX.XX")
        return Int64(try BCD.decode(bytes))
    }

    /// Encodes hundredths as unsigned 4-byte `XXXXXX.XX`.
    public static func encodeUnsignedHundredths(_ value: Int64) throws(DLT645Error) -> [UInt8] {
        guard value >= 0, value <= unsignedHundredthsLimit else {
            throw .valueOutOfRange(value: String(value), format: "XXXXXX.XX (hundredths)")
        }
        return try BCD.encode(UInt64(value), byteCount: 4)
    }

    /// Decodes 4-byte `XXXX.XXXX` (prices) into ten-thousandths.
    public static func decodeTenThousandths(_ bytes: [UInt8]) throws(DLT645Error) -> Int64 {
        try expectCount(bytes, 4, "XXXX.XXXX")
        return Int64(try BCD.decode(bytes))
    }

    /// Encodes ten-thousandths as 4-byte `XXXX.XXXX`.
    public static func encodeTenThousandths(_ value: Int64) throws(DLT645Error) -> [UInt8] {
        guard value >= 0, value <= 99_999_999 else {
            throw .valueOutOfRange(value: String(value), format: "XXXX.XXXX (ten-thousandths)")
        }
        return try BCD.encode(UInt64(value), byteCount: 4)
    }

    private static func expectCount(_ bytes: [UInt8], _ n: Int, _ format: String) throws(DLT645Error) {
        guard bytes.count == n else {
            throw .valueOutOfRange(value: "\(bytes.count) bytes", format: "\(format) needs \(n) bytes")
        }
    }
}

/// Conversions between meter formats and the station's integer units.
public enum MeterUnits {
    /// Micro-yuan per fen: money on the wire is `XXXXXX.XX` yuan.
    public static let microYuanPerFen: Int64 = 10_000
    /// Micro-yuan per ten-thousandth of a yuan: prices on the wire are `XXXX.XXXX` yuan/kWh.
    public static let microYuanPerPriceUnit: Int64 = 100

    /// Money on the wire (fen) to micro-yuan.
    public static func microYuan(fromFen fen: Int64) -> Int64 { fen * microYuanPerFen }

    /// Micro-yuan to fen for the wire, refusing amounts finer than a fen.
    public static func fen(fromMicroYuan microYuan: Int64) throws(DLT645Error) -> Int64 {
        guard microYuan % microYuanPerFen == 0 else {
            throw .valueOutOfRange(value: "\(microYuan) micro-yuan", format: "XXXXXX.XX yuan (whole fen)")
        }
        return microYuan / microYuanPerFen
    }

    /// A price on the wire (1/10000 yuan per kWh) to micro-yuan per kWh.
    public static func microYuanPerKWh(fromPriceUnits units: Int64) -> Int64 { units * microYuanPerPriceUnit }

    /// Micro-yuan per kWh to the wire's price units, refusing prices with more than 4 decimals.
    public static func priceUnits(fromMicroYuanPerKWh price: Int64) throws(DLT645Error) -> Int64 {
        guard price % microYuanPerPriceUnit == 0 else {
            throw .valueOutOfRange(value: "\(price) micro-yuan/kWh", format: "XXXX.XXXX yuan/kWh")
        }
        return price / microYuanPerPriceUnit
    }
}
