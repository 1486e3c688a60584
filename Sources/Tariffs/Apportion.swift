/// Splits `quantity` (non-negative) over parts in proportion to `weights` (non-negative, not all
/// zero) by the largest-remainder method: each part gets the floor of its exact share, and the
/// hundredths left over go one each to the parts with the largest remainders (earlier part on a
/// tie). The parts always sum exactly to `quantity`: no hundredth is created or lost.
package func apportion(_ quantity: Int64, weights: [Int64]) -> [Int64] {
    let total = weights.reduce(0, +)
    precondition(quantity >= 0 && total > 0 && weights.allSatisfy { $0 >= 0 })
    var shares: [Int64] = []
    var remainders: [(remainder: Int64, index: Int)] = []
    shares.reserveCapacity(weights.count)
    remainders.reserveCapacity(weights.count)
    var given: Int64 = 0
    for (index, weight) in weights.enumerated() {
        // Full width: quantity × weight may exceed Int64; the quotient never does (weight ≤ total).
        let product = quantity.multipliedFullWidth(by: weight)
        let (share, remainder) = total.dividingFullWidth(product)
        shares.append(share)
        remainders.append((remainder, index))
        given += share
    }
    var left = quantity - given
    if left > 0 {
        remainders.sort { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }
        for entry in remainders where left > 0 {
            shares[entry.index] += 1
            left -= 1
        }
    }
    return shares
}

/// `a × b / c` truncated, for non-negative `a`, `b` and positive `c`, through a 128-bit product;
/// `nil` when the quotient does not fit 64 bits.
package func multiplyDivide(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64? {
    precondition(a >= 0 && b >= 0 && c > 0)
    let (high, low) = a.multipliedFullWidth(by: b)
    if high >= c { return nil }
    // The quotient fits Int64 exactly when product / 2^63 < c.
    let shifted = UInt64(high) << 1 | (low >> 63)
    if shifted >= UInt64(c) { return nil }
    return c.dividingFullWidth((high, low)).quotient
}
