/// Identifiers of the parameters a master writes into a cost-control meter (14H) and reads back
/// (PROTOCOL.md §4). Kept apart from the reading identifiers in ControlCode.swift because they
/// belong to meter management (issue 13), not collection.
extension DataIdentifier {
    /// Hoarding amount limit (囤积金额限值), XXXXXX.XX yuan.
    public static let hoardingAmountLimit = DataIdentifier(rawValue: 0x0400_1004)
    /// Close-allowed amount limit (合闸允许金额限值), XXXXXX.XX yuan.
    public static let closeAllowedAmountLimit = DataIdentifier(rawValue: 0x0400_1005)
    /// When the second (standby) price set replaces the first: YYMMDDhhmm, 5 B (``MeterMinute``).
    /// From the 2009 filing of the standard, not the base 2007 table.
    public static let priceSetSwitchTime = DataIdentifier(rawValue: 0x0400_0108)

    /// Price of tariff 1...4 in the second (standby) price set, XXXX.XXXX yuan/kWh.
    public static func secondSetTariffPrice(_ n: Int) -> DataIdentifier {
        DataIdentifier(rawValue: 0x0405_0200 | UInt32(n & 0xFF))
    }
}
