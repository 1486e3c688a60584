/// The second toml++ abort the fuzzers found (Tests/Fuzz, finding 4, `config` harness): an array
/// whose value would start with `}` — `y=[}`, `a = [1, }` — fails `parse_value()`'s assertion
/// `!is_value_terminator(*cp)` instead of reporting an error, because `parse_array()` handles `,`,
/// `]`, blanks and comments before a value but not `}`. No valid TOML has `}` there.
extension TOMLPrecheck {
    /// The 1-based line and column of a `}` where an array value should start, or nil.
    ///
    /// Scans outside strings and comments for `[` or `,` followed (over blanks, line breaks and
    /// comments) by `}`. A trailing comma in an inline table (`{a = 1, }`, invalid TOML too) is
    /// refused the same way.
    package static func closingBraceAsArrayValue(in text: String) -> (line: Int, column: Int)? {
        var scanner = Scanner(bytes: Array(text.utf8))
        while let byte = scanner.next() {
            switch byte {
            case UInt8(ascii: "#"): scanner.skipComment()
            case UInt8(ascii: "\""): scanner.skipString(quote: byte, escapes: true)
            case UInt8(ascii: "'"): scanner.skipString(quote: byte, escapes: false)
            case UInt8(ascii: "["), UInt8(ascii: ","):
                scanner.skipBlanksAndComments()
                if scanner.peek() == UInt8(ascii: "}") { return (scanner.line, scanner.column) }
            default: break
            }
        }
        return nil
    }

    /// A cursor over the text that knows its line and column.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        /// The column of `bytes[index]`, 1-based.
        var column = 1

        init(bytes: [UInt8]) { self.bytes = bytes }

        func peek(_ ahead: Int = 0) -> UInt8? {
            index + ahead < bytes.count ? bytes[index + ahead] : nil
        }

        mutating func next() -> UInt8? {
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            index += 1
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
            return byte
        }

        mutating func skipComment() {
            while let byte = peek(), byte != 0x0A { _ = next() }
        }

        mutating func skipBlanksAndComments() {
            while let byte = peek() {
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0D: _ = next()
                case UInt8(ascii: "#"): skipComment()
                default: return
                }
            }
        }

        /// Past the closing quote, after the opening one was read; `"""`/`'''` strings span lines.
        mutating func skipString(quote: UInt8, escapes: Bool) {
            let multiline = peek() == quote && peek(1) == quote
            if multiline { _ = next(); _ = next() }
            while let byte = next() {
                if escapes && byte == UInt8(ascii: "\\") { _ = next(); continue }
                if byte == 0x0A && !multiline { return }
                guard byte == quote else { continue }
                if !multiline { return }
                if peek() == quote && peek(1) == quote {
                    _ = next(); _ = next()
                    // A closing """ may be followed by up to two more quotes that belong to the string.
                    while peek() == quote { _ = next() }
                    return
                }
            }
        }
    }
}
