import ChargeControl

/// A stored value as both engines hand it over: SQLite's storage classes. PostgreSQL's integers,
/// booleans (0 or 1, as SQLite stores them) and numerics (a `SUM` of BIGINTs) arrive as
/// `.integer`, its texts as `.text`.
package enum SQLValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// As GRDB printed stored values in its decoding errors (what operators have seen).
    package var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .text(let v): "\"\(v)\""
        case .blob(let v): "<\(v.count) bytes>"
        }
    }
}

/// A Swift type the store writes into a column and reads back.
package protocol SQLStorable: Sendable {
    var sqlValue: SQLValue { get }
    /// The value a stored one reads as; nil when it is not one of this type.
    static func fromSQL(_ value: SQLValue) -> Self?
}

extension Int64: SQLStorable {
    package var sqlValue: SQLValue { .integer(self) }
    package static func fromSQL(_ value: SQLValue) -> Int64? {
        switch value {
        case .integer(let v): v
        // A REAL holding a whole number reads as it (GRDB did the same); 9.3e18 does not.
        case .real(let v): Int64(exactly: v)
        default: nil
        }
    }
}

extension Int: SQLStorable {
    package var sqlValue: SQLValue { .integer(Int64(self)) }
    package static func fromSQL(_ value: SQLValue) -> Int? { Int64.fromSQL(value).flatMap { Int(exactly: $0) } }
}

extension Bool: SQLStorable {
    package var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    package static func fromSQL(_ value: SQLValue) -> Bool? { Int64.fromSQL(value).map { $0 != 0 } }
}

extension String: SQLStorable {
    package var sqlValue: SQLValue { .text(self) }
    package static func fromSQL(_ value: SQLValue) -> String? {
        guard case .text(let v) = value else { return nil }
        return v
    }
}

extension Optional: SQLStorable where Wrapped: SQLStorable {
    package var sqlValue: SQLValue { self?.sqlValue ?? .null }
    package static func fromSQL(_ value: SQLValue) -> Wrapped?? {
        if case .null = value { return .some(nil) }
        return Wrapped.fromSQL(value).map { .some($0) }
    }
}

/// Stored enum texts read through their raw values, so an unknown text is a decoding error (it
/// used to fall back silently to a default: a corrupt command became an alarm).
extension SQLStorable where Self: RawRepresentable, RawValue == String {
    package var sqlValue: SQLValue { .text(rawValue) }
    package static func fromSQL(_ value: SQLValue) -> Self? { String.fromSQL(value).flatMap(Self.init(rawValue:)) }
}

extension CommandKind: SQLStorable {}
extension RelayState: SQLStorable {}
extension AccountControlState: SQLStorable {}
extension LedgerEntryKind: SQLStorable {}
extension CommandState: SQLStorable {}
extension PaymentChannel: SQLStorable {}
extension ReviewKind: SQLStorable {}
extension ReviewItemState: SQLStorable {}
extension FeeControlState: SQLStorable {}
extension ReadingResolution: SQLStorable {}

/// A statement's arguments, in order (`?` in SQLite's text, `$n` in PostgreSQL's).
package struct SQLArguments: Sendable, ExpressibleByArrayLiteral {
    package var values: [SQLValue]

    package init(arrayLiteral elements: (any SQLStorable)?...) {
        values = elements.map { $0?.sqlValue ?? .null }
    }

    package init(_ elements: [(any SQLStorable)?]) {
        values = elements.map { $0?.sqlValue ?? .null }
    }

    package init(values: [SQLValue]) {
        self.values = values
    }

    package static func + (lhs: SQLArguments, rhs: SQLArguments) -> SQLArguments {
        SQLArguments(values: lhs.values + rhs.values)
    }

    package static func += (lhs: inout SQLArguments, rhs: SQLArguments) {
        lhs.values += rhs.values
    }

    package mutating func append(_ value: (any SQLStorable)?) {
        values.append(value?.sqlValue ?? .null)
    }
}
