import Tariffs

/// `[payments]`: what a single payment or adjustment may carry.
public struct PaymentSettings: Sendable, Hashable {
    /// The largest payment, and the largest adjustment either way (`max_yuan`). Default
    /// 10,000,000.00 yuan; at most the balance bound (`AmountBounds.balance`). A larger amount is
    /// refused with 422 before anything is written: a billing system's typo or a hostile client
    /// cannot push a balance anywhere near the end of `Int64` (issue 17).
    public var maxAmount: Money

    public init(maxAmount: Money = AmountBounds.defaultPayment) {
        self.maxAmount = maxAmount
    }

    static let keys = ["max_yuan"]

    static func read(_ root: Section, _ reader: TableReader) -> PaymentSettings {
        let section = reader.section(root, "payments", known: keys)
        let fallback = AmountBounds.defaultPayment
        let max = reader.value(section, "max_yuan", default: fallback, example: fallback.yuanString) {
            (text: String) throws(InvalidValue) -> Money in
            let amount: Money
            do throws(DecimalError) {
                amount = try Money(yuan: text, maxDecimals: 2)
            } catch {
                throw InvalidValue(error.description)
            }
            let ceiling = AmountBounds.balance
            guard amount > .zero, amount <= ceiling else {
                throw InvalidValue("\"\(text)\" must be above 0.00 and at most \(ceiling.yuanString) yuan (the balance bound)")
            }
            return amount
        }
        return PaymentSettings(maxAmount: max)
    }
}
