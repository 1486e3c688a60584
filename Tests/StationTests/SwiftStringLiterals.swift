import Foundation

/// A string literal found in Swift source: its text (interpolations kept as `\(…)`), the
/// interpolated expressions, and the source around it on its first and last line.
struct SwiftStringLiteral: Sendable, CustomStringConvertible {
    let file: String
    let line: Int
    let text: String
    let interpolations: [String]
    /// The source on the opening line before the opening quote.
    let before: String
    /// The source on the closing line after the closing quote.
    let after: String

    var description: String { "\(file):\(line)" }
}

/// A small lexer for the jobs the source audits need: every string literal of a Swift file, with
/// comments skipped and interpolations (including string literals nested in them) followed; and
/// the code alone. Handles `"…"`, `"""…"""` and raw `#"…"#` literals; not a full Swift lexer.
enum SwiftStringLiterals {
    static func scan(_ source: String, file: String) -> [SwiftStringLiteral] {
        var lexer = Lexer(bytes: Array(source.utf8), file: file)
        return lexer.literals()
    }

    /// The source with comments and the text of string literals blanked (interpolated code and
    /// line breaks kept), so a pattern found in it is code, on the line it was on.
    static func code(_ source: String) -> String {
        var lexer = Lexer(bytes: Array(source.utf8), file: "")
        _ = lexer.literals()
        return String(decoding: lexer.code, as: UTF8.self)
    }

    private struct Lexer {
        let bytes: [UInt8]
        let file: String
        var i = 0
        var found: [SwiftStringLiteral] = []
        /// `bytes` with comments and literal text blanked (`code(_:)`).
        var code: [UInt8]

        init(bytes: [UInt8], file: String) {
            self.bytes = bytes
            self.file = file
            self.code = bytes
        }

        /// Blanks `range` in `code`, keeping line breaks.
        mutating func blank(_ range: Range<Int>) {
            for k in range.clamped(to: 0..<bytes.count) where bytes[k] != UInt8(ascii: "\n") { code[k] = UInt8(ascii: " ") }
        }

        func at(_ k: Int) -> UInt8 { k < bytes.count ? bytes[k] : 0 }
        func starts(_ s: String, _ k: Int) -> Bool {
            let u = Array(s.utf8)
            return k + u.count <= bytes.count && Array(bytes[k..<(k + u.count)]) == u
        }

        mutating func literals() -> [SwiftStringLiteral] {
            while i < bytes.count { skipCode(untilCloseParen: false) }
            return found
        }

        /// Code until the end (or the `)` closing an interpolation); strings become literals.
        mutating func skipCode(untilCloseParen: Bool) {
            var depth = 0
            while i < bytes.count {
                if starts("//", i) {
                    let from = i
                    while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
                    blank(from..<i)
                } else if starts("/*", i) {
                    let from = i
                    i += 2
                    while i < bytes.count && !starts("*/", i) { i += 1 }
                    i += 2
                    blank(from..<i)
                } else if bytes[i] == UInt8(ascii: "\"") || (bytes[i] == UInt8(ascii: "#") && rawStringAhead()) {
                    readLiteral()
                } else if untilCloseParen && bytes[i] == UInt8(ascii: "(") {
                    depth += 1
                    i += 1
                } else if untilCloseParen && bytes[i] == UInt8(ascii: ")") {
                    if depth == 0 { return }
                    depth -= 1
                    i += 1
                } else {
                    i += 1
                }
            }
        }

        func rawStringAhead() -> Bool {
            var k = i
            while at(k) == UInt8(ascii: "#") { k += 1 }
            return at(k) == UInt8(ascii: "\"")
        }

        func lineNumber(_ k: Int) -> Int { bytes[0..<k].reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } }

        func lineText(before k: Int) -> String {
            var s = k
            while s > 0 && bytes[s - 1] != UInt8(ascii: "\n") { s -= 1 }
            return String(decoding: bytes[s..<k], as: UTF8.self)
        }

        func lineText(after k: Int) -> String {
            var e = k
            while e < bytes.count && bytes[e] != UInt8(ascii: "\n") { e += 1 }
            return String(decoding: bytes[k..<e], as: UTF8.self)
        }

        mutating func readLiteral() {
            let start = i
            var hashes = 0
            while bytes[i] == UInt8(ascii: "#") { hashes += 1; i += 1 }
            let multiline = starts("\"\"\"", i)
            i += multiline ? 3 : 1
            let close = Array((multiline ? "\"\"\"" : "\"").utf8) + Array(repeating: UInt8(ascii: "#"), count: hashes)
            let escape = [UInt8(ascii: "\\")] + Array(repeating: UInt8(ascii: "#"), count: hashes)
            var text: [UInt8] = []
            var interpolations: [String] = []
            while i < bytes.count {
                if Array(bytes[i..<min(i + close.count, bytes.count)]) == close {
                    i += close.count
                    break
                }
                if Array(bytes[i..<min(i + escape.count, bytes.count)]) == escape {
                    if at(i + escape.count) == UInt8(ascii: "(") {
                        i += escape.count + 1
                        let from = i
                        skipCode(untilCloseParen: true)
                        let expression = String(decoding: bytes[from..<min(i, bytes.count)], as: UTF8.self)
                        interpolations.append(expression)
                        text += Array("\\(\(expression))".utf8)
                        i += 1
                        continue
                    }
                    text += bytes[i..<min(i + escape.count + 1, bytes.count)]
                    blank(i..<(i + escape.count + 1))
                    i += escape.count + 1
                    continue
                }
                text.append(bytes[i])
                blank(i..<(i + 1))
                i += 1
            }
            found.append(SwiftStringLiteral(file: file, line: lineNumber(start), text: String(decoding: text, as: UTF8.self),
                                            interpolations: interpolations, before: lineText(before: start),
                                            after: lineText(after: min(i, bytes.count))))
        }
    }
}
