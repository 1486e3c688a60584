/// The meters' default control password: 8 hex digits, the level byte (PA) first, then P0…P2,
/// kept exactly as written for the DL/T 645 layer to send.
///
/// The secret never shows: `description`, `debugDescription` and `dump` print only the level, and
/// a malformed password is refused without repeating it.
public struct MeterPassword: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The 8 hex digits as configured. Hand them to the wire layer only; never log them.
    public let secretHexDigits: String

    /// Validates 8 hex digits.
    /// - Throws: ``InvalidValue`` that does not contain the text.
    public init(_ text: String) throws(InvalidValue) {
        guard isHexDigits(text, count: 8) else {
            throw InvalidValue("want 8 hex digits, level byte first, such as \"02000000\" (the value given is not shown)")
        }
        self.secretHexDigits = text
    }

    /// The password level as 2 hex digits (`"02"`, `"04"`; `"98"` for ESAM-encrypted meters).
    public var level: String { String(secretHexDigits.prefix(2)) }

    /// `level 02, ******`: the secret itself is never printed.
    public var description: String { "level \(level), ******" }
    public var debugDescription: String { "MeterPassword(\(description))" }
    public var customMirror: Mirror { Mirror(self, children: ["level": level]) }
}

/// The operator code a meter records in its control log: 8 hex digits, most significant first.
public struct OperatorCodeText: Sendable, Hashable, CustomStringConvertible {
    /// The 8 hex digits as configured (`"00000001"`).
    public let hexDigits: String

    /// Validates 8 hex digits.
    public init(_ text: String) throws(InvalidValue) {
        guard isHexDigits(text, count: 8) else { throw InvalidValue("\"\(text)\": want 8 hex digits such as \"00000001\"") }
        self.hexDigits = text
    }

    public var description: String { hexDigits }
}

private func isHexDigits(_ text: String, count: Int) -> Bool {
    text.utf8.count == count && text.utf8.allSatisfy { byte in
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }
}
