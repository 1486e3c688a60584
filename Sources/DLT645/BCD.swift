/// Packed BCD helpers. Every multi-byte item in DL/T 645 is sent low byte first.
public enum BCD {
    /// The two-digit value of one BCD byte, or nil when a nibble is above 9.
    @inlinable
    public static func value(of byte: UInt8) -> UInt8? {
        let high = byte >> 4, low = byte & 0x0F
        guard high <= 9, low <= 9 else { return nil }
        return high * 10 + low
    }

    /// One BCD byte for a value 0...99.
    @inlinable
    public static func byte(_ value: UInt8) -> UInt8 {
        precondition(value < 100, "BCD byte holds 0...99")
        return (value / 10) << 4 | (value % 10)
    }

    /// Decodes low-byte-first BCD into an unsigned integer.
    public static func decode(_ bytes: some Collection<UInt8>) throws(DLT645Error) -> UInt64 {
        var result: UInt64 = 0
        var index = bytes.count - 1
        for byte in bytes.reversed() {
            guard let v = value(of: byte) else { throw .invalidBCD(byte: byte, index: index) }
            result = result * 100 + UInt64(v)
            index -= 1
        }
        return result
    }

    /// Encodes an unsigned integer as `byteCount` low-byte-first BCD bytes.
    public static func encode(_ value: UInt64, byteCount: Int) throws(DLT645Error) -> [UInt8] {
        var rest = value
        var out = [UInt8]()
        out.reserveCapacity(byteCount)
        for _ in 0..<byteCount {
            out.append(byte(UInt8(rest % 100)))
            rest /= 100
        }
        guard rest == 0 else {
            throw .valueOutOfRange(value: String(value), format: "\(byteCount * 2) BCD digits")
        }
        return out
    }
}
