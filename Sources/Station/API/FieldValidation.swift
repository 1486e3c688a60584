import Foundation
import Tariffs

/// A request field the API refuses: 400 when it is malformed, 422 when it is well-formed but out
/// of bounds. Free of HTTP types, so the request bodies and their checks compile into the fuzz
/// harnesses as they are (Tests/Fuzz); `APIError.from` gives it its status.
struct RequestRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case malformed
        case unprocessable
    }

    let kind: Kind
    let message: String

    static func badRequest(_ message: String) -> RequestRefusal { RequestRefusal(kind: .malformed, message: message) }
    static func unprocessable(_ message: String) -> RequestRefusal { RequestRefusal(kind: .unprocessable, message: message) }

    var description: String { message }
}

/// Checks of single request fields, each failing with a 4xx that names the field.
enum FieldValidation {
    /// A non-empty identifier of at most 64 characters without control characters.
    static func identifier(_ value: String, _ key: String) throws(RequestRefusal) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw .badRequest("\(key) must not be empty") }
        guard trimmed.count <= 64 else { throw .badRequest("\(key) is longer than 64 characters") }
        guard !trimmed.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw .badRequest("\(key) contains control characters")
        }
        return trimmed
    }

    /// Yuan with at most two decimals, within ±`bound` (422 naming the bound beyond it);
    /// `positive` for payments.
    static func money(_ value: String, _ key: String, bound: Money, positive: Bool = false) throws(RequestRefusal) -> Money {
        let amount: Money
        do {
            amount = try Money(yuan: value, maxDecimals: 2)
        } catch .outOfRange {
            let refusal = AmountOutOfBounds(field: key, value: "\"\(value)\"", bound: AmountOutOfBounds.range(bound, positive: positive))
            throw .unprocessable(refusal.description)
        } catch {
            throw .badRequest("\(key): \(error.description) (yuan with at most 2 decimals, like \"50.00\")")
        }
        if positive && amount <= .zero { throw .badRequest("\(key) must be positive, got \"\(value)\"") }
        do {
            try amount.checkWithin(bound, field: key, positive: positive)
        } catch {
            throw .unprocessable(error.description)
        }
        return amount
    }

    /// A meter address as on the nameplate: exactly 12 decimal digits.
    static func meterAddress(_ value: String, _ key: String = "meter_address") throws(RequestRefusal) -> String {
        guard value.utf8.count == 12, value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .badRequest("\(key) must be 12 decimal digits like \"000000000001\", got \"\(value)\"")
        }
        return value
    }

    /// An RFC 3339 instant with offset.
    static func instant(_ value: String, _ key: String) throws(RequestRefusal) -> Date {
        guard let date = RFC3339.parse(value) else {
            throw .badRequest("\(key) must be RFC 3339 with an offset like \"2025-03-01T10:00:00+08:00\", got \"\(value)\"")
        }
        return date
    }

    /// A TCP port.
    static func port(_ value: Int, _ key: String = "port") throws(RequestRefusal) -> Int {
        guard (1...65535).contains(value) else { throw .badRequest("\(key) must be between 1 and 65535, got \(value)") }
        return value
    }
}
