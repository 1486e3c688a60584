import Store
import Foundation
import Synchronization

/// The store's statements are written once, in SQLite's SQL; this turns one into PostgreSQL's.
/// The differences the store meets, all here:
/// - `?` placeholders → `$1`, `$2`, …; `?NNN` → `$NNN` (as SQLite numbers them: a bare `?`
///   after `?NNN` is NNN + 1);
/// - the two-argument scalar `MAX(a, b)` / `MIN(a, b)` → `GREATEST` / `LEAST` (one-argument
///   `MAX(x)` is the aggregate in both);
/// - `LIKE` → `ILIKE` (SQLite's LIKE ignores ASCII case);
/// - `x IS ?` / `x IS NOT ?` (SQLite's null-safe comparison) → `IS NOT DISTINCT FROM` / `IS
///   DISTINCT FROM`;
/// - `INTEGER` (a temporary table's column, a `CAST`) → `BIGINT` (SQLite's integers are 64-bit);
/// - `temp.` (SQLite's schema of temporary tables) → `pg_temp.`;
/// - `BEGIN IMMEDIATE` → `BEGIN`;
/// - `INDEXED BY name` (SQLite's planner hint) → nothing (PostgreSQL's planner chooses).
/// String literals, quoted names and comments are copied as they are.
package enum PostgresDialect {
    private static let cache = Mutex([String: Translated]())
    /// Statement texts kept translated; texts that vary (lists, batches) pass through once.
    private static let cacheLimit = 4096

    package static func translate(_ sql: String) -> String {
        statement(sql).sql
    }

    /// A statement in PostgreSQL's SQL, and whether it may change account rows (the account
    /// book hears of those: `PostgresSession.watchAccountRows`).
    package struct Translated: Sendable {
        package let sql: String
        package let changesAccountRows: Bool
    }

    package static func statement(_ sql: String) -> Translated {
        if let known = cache.withLock({ $0[sql] }) { return known }
        let translated = Translated(sql: translateUncached(sql), changesAccountRows: changesAccountRows(sql))
        cache.withLock { if $0.count < cacheLimit { $0[sql] = translated } }
        return translated
    }

    /// `UPDATE account`, `INSERT INTO account`, `DELETE FROM account` (not `account_id`, not a read).
    private static func changesAccountRows(_ sql: String) -> Bool {
        sql.range(of: #"(?i)\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+account\b(?!_)"#, options: .regularExpression) != nil
    }

    private enum Token: Equatable {
        case word(String)
        case placeholder(Int?)
        case open
        case close
        case comma
        case other(String)
        case space(String)
    }

    static func translateUncached(_ sql: String) -> String {
        let tokens = tokenize(sql)
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var parameter = 0
        var i = 0
        /// The next token that is not white space, from `j` on.
        func nextSolid(_ j: Int) -> Int? {
            var k = j
            while k < tokens.count { if case .space = tokens[k] { k += 1 } else { return k } }
            return nil
        }
        func upper(_ token: Token) -> String? {
            if case .word(let w) = token { return w.uppercased() }
            return nil
        }
        while i < tokens.count {
            let token = tokens[i]
            switch token {
            case .placeholder(let number):
                parameter = number ?? (parameter + 1)
                out += "$\(parameter)"
            case .word(let word):
                let name = word.uppercased()
                if (name == "MAX" || name == "MIN"), let open = nextSolid(i + 1), tokens[open] == .open, hasTopLevelComma(tokens, from: open) {
                    out += name == "MAX" ? "GREATEST" : "LEAST"
                } else if name == "LIKE" {
                    out += "ILIKE"
                } else if name == "IS", let next = nextSolid(i + 1) {
                    if case .placeholder = tokens[next] {
                        out += "IS NOT DISTINCT FROM"
                    } else if upper(tokens[next]) == "NOT", let after = nextSolid(next + 1), case .placeholder = tokens[after] {
                        out += "IS DISTINCT FROM"
                        i = next
                    } else {
                        out += word
                    }
                } else if name == "INDEXED", let by = nextSolid(i + 1), upper(tokens[by]) == "BY", let index = nextSolid(by + 1) {
                    i = index
                } else if name == "IMMEDIATE", out.uppercased().hasSuffix("BEGIN ") {
                    out.removeLast()
                } else if name == "INTEGER" {
                    out += "BIGINT"
                } else if name == "TEMP", let dot = tokens.indices.contains(i + 1) ? tokens[i + 1] : nil, dot == .other(".") {
                    out += "pg_temp"
                } else {
                    out += word
                }
            case .open: out += "("
            case .close: out += ")"
            case .comma: out += ","
            case .other(let text), .space(let text): out += text
            }
            i += 1
        }
        return out
    }

    /// Whether the parenthesis at `open` holds a comma at its own level.
    private static func hasTopLevelComma(_ tokens: [Token], from open: Int) -> Bool {
        var depth = 0
        for token in tokens[open...] {
            switch token {
            case .open: depth += 1
            case .close:
                depth -= 1
                if depth == 0 { return false }
            case .comma where depth == 1: return true
            default: break
            }
        }
        return false
    }

    private static func tokenize(_ sql: String) -> [Token] {
        let chars = Array(sql.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        func isWord(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c) }
        while i < chars.count {
            let c = chars[i]
            if c == "'" || c == "\"" {
                // A literal or quoted name, with doubled quotes inside.
                var j = i + 1
                while j < chars.count {
                    if chars[j] == c {
                        if j + 1 < chars.count, chars[j + 1] == c { j += 2; continue }
                        break
                    }
                    j += 1
                }
                let end = min(j + 1, chars.count)
                tokens.append(.other(String(String.UnicodeScalarView(chars[i..<end]))))
                i = end
            } else if c == "-", i + 1 < chars.count, chars[i + 1] == "-" {
                var j = i
                while j < chars.count, chars[j] != "\n" { j += 1 }
                tokens.append(.space(String(String.UnicodeScalarView(chars[i..<j]))))
                i = j
            } else if c == "?" {
                var j = i + 1
                while j < chars.count, ("0"..."9").contains(chars[j]) { j += 1 }
                tokens.append(.placeholder(j > i + 1 ? Int(String(String.UnicodeScalarView(chars[(i + 1)..<j]))) : nil))
                i = j
            } else if c == "(" {
                tokens.append(.open)
                i += 1
            } else if c == ")" {
                tokens.append(.close)
                i += 1
            } else if c == "," {
                tokens.append(.comma)
                i += 1
            } else if c.properties.isWhitespace {
                var j = i
                while j < chars.count, chars[j].properties.isWhitespace { j += 1 }
                tokens.append(.space(String(String.UnicodeScalarView(chars[i..<j]))))
                i = j
            } else if isWord(c) {
                var j = i
                while j < chars.count, isWord(chars[j]) { j += 1 }
                tokens.append(.word(String(String.UnicodeScalarView(chars[i..<j]))))
                i = j
            } else {
                tokens.append(.other(String(c)))
                i += 1
            }
        }
        return tokens
    }
}
