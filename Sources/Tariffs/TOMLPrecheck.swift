import TOMLKit

/// Guards TOMLKit's parser (toml++ 3, compiled without NDEBUG by SwiftPM even in release) from
/// inputs that trip its assertions and abort the whole process instead of reporting an error.
///
/// Found by fuzzing (Tests/Fuzz, issue 6): a table header whose key starts with a character that is
/// neither a bare-key character nor a quote — `[*`, `[[%]]`, `[ é]`, `[` then a line break — aborts in
/// `toml::impl::parser::parse_key()`. A tariff or configuration reload with such a typo would
/// take the daemon down.
package enum TOMLPrecheck {
    /// Where toml++ would abort on `text`, and what an operator should be told; nil if it is safe.
    package static func abort(in text: String) -> (line: Int, column: Int, problem: String)? {
        if let at = unsafeTableHeader(in: text) {
            return (at.line, at.column, "a table header must start with a key (letters, digits, _ or -, or a quoted key)")
        }
        if let at = closingBraceAsArrayValue(in: text) {
            return (at.line, at.column, "'}' where a value should be (an array's value or an inline table's key)")
        }
        return nil
    }

    /// The 1-based line and column of the first table header toml++ would abort on, or nil.
    ///
    /// Line-based and conservative: a line inside a multi-line string or array that starts with
    /// `[` followed by such a character is refused too (valid TOML, but unlikely in our files).
    package static func unsafeTableHeader(in text: String) -> (line: Int, column: Int)? {
        var line = 1
        var bytes = text.utf8[...]
        // toml++ skips a UTF-8 byte order mark before the first line, so `BOM[*` aborts like `[*`
        // (found by the fuzz run `make test` makes).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        while !bytes.isEmpty {
            let end = bytes.firstIndex(where: { $0 == 0x0A }) ?? bytes.endIndex
            let last = end == bytes.endIndex
            if let column = unsafeHeaderColumn(Array(bytes[bytes.startIndex..<end]), lastLine: last) {
                return (line, column)
            }
            line += 1
            bytes = end == bytes.endIndex ? bytes[end...] : bytes[bytes.index(after: end)...]
        }
        return nil
    }

    private static func unsafeHeaderColumn(_ line: [UInt8], lastLine: Bool) -> Int? {
        var i = 0
        func skipBlanks() -> Bool {
            let from = i
            while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
            return i > from
        }
        _ = skipBlanks()
        guard i < line.count, line[i] == UInt8(ascii: "[") else { return nil }
        i += 1
        if i < line.count && line[i] == UInt8(ascii: "[") {
            i += 1                      // [[array-of-tables]]
            _ = skipBlanks()
        } else if skipBlanks(), i < line.count, line[i] == UInt8(ascii: "[") {
            return nil                  // `[ [`: toml++ reports it
        }
        // The end of the text toml++ reports; the end of a line (`[` then a line break) it does not.
        guard i < line.count else { return lastLine ? nil : i + 1 }
        return isKeyStart(line[i]) ? nil : i + 1
    }

    private static func isKeyStart(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"),
             UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }
}

/// Why a TOML text could not be read: where (`line 3, column 7`, or empty) and what.
package struct TOMLReadError: Error, Sendable, Hashable {
    package let position: String
    package let problem: String
}

/// The one way the project parses TOML (tariff files, the daemon's configuration, chargectl's
/// settings): toml++ aborts the process on some malformed input, so `TOMLPrecheck` refuses that
/// first; then TOMLKit parses, and its errors come back with their position.
package enum SafeTOML {
    package static func table(from text: String) throws(TOMLReadError) -> TOMLTable {
        if let at = TOMLPrecheck.abort(in: text) {
            throw TOMLReadError(position: "line \(at.line), column \(at.column)", problem: at.problem)
        }
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TOMLReadError(position: error.source.begin.debugDescription, problem: error.description)
        } catch {
            throw TOMLReadError(position: "", problem: "not a TOML document: \(error)")
        }
    }
}
