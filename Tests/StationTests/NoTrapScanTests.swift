import Foundation
import Testing

/// No trap on a value from outside (issue 17): a stored value GRDB could not convert trapped
/// inside a `row["col"]` subscript, and systemd's restarts turned that into a crash loop.
///
/// The audit reads every Swift file under `Sources/` (comments and string literal text blanked)
/// and refuses `try!`, `as!`, force unwraps, and GRDB's trapping subscripts on a `Row` in files
/// that import GRDB: `row[…]`, `$0[…]`, and any name bound to `Row.fetch…` or typed `Row`.
/// Decode with `row.decode(_:atIndex:)` / `row.decode(_:forColumn:)`, which throw. Tests are exempt.
@Suite struct NoTrapScanTests {
    static let sourcesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// Names that hold a GRDB `Row` in any file: the conventional one and closure arguments.
    static let rowNames: Set<String> = ["row", "$0", "$1"]

    /// An ICU pattern (lookbehind, which Swift's `Regex` lacks).
    struct Pattern {
        let expression: NSRegularExpression

        init(_ pattern: String) throws { expression = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]) }

        func matches(_ text: some StringProtocol) -> Bool {
            let text = String(text)
            return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }

        /// The first capture group of every match.
        func captures(_ text: String) -> [String] {
            expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
                Range($0.range(at: 1), in: text).map { String(text[$0]) }
            }
        }
    }

    static func problems(inSource source: String, file: String) throws -> [String] {
        let code = SwiftStringLiterals.code(source)
        let importsGRDB = try Pattern(#"^\s*(@\w+\s+)*import\s+GRDB\s*$"#).matches(code)
        var names = rowNames
        if importsGRDB {
            // `let x = try Row.fetchOne(…)`, `guard let x = try Row.fetch…`, `for x in try Row.fetch…`, `x: Row`.
            names.formUnion(try Pattern(#"\b(?:let|var|for)\s+(\w+)\s*(?:=|in)\s*try\s+Row\.fetch"#).captures(code))
            names.formUnion(try Pattern(#"(\w+)\s*:\s*Row\b"#).captures(code))
        }
        let subscripts = try names.sorted().map { name in
            (name, try Pattern(#"(?<![\w$.])"# + NSRegularExpression.escapedPattern(for: name) + #"\s*\??\s*\["#))
        }
        let (tryBang, asBang) = (try Pattern(#"\btry!"#), try Pattern(#"\bas!"#))
        // A postfix `!`, not `!=`, not a prefix `!x`, not the `!` of `try!` / `as!`.
        let unwrap = try Pattern(#"[\w)\]>](?<!\btry)(?<!\bas)!(?!=)"#)

        var problems: [String] = []
        for (index, line) in code.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let place = "\(file):\(index + 1)"
            if tryBang.matches(line) { problems.append("\(place): try! traps on the error: throw or handle it") }
            if asBang.matches(line) { problems.append("\(place): as! traps on another type: use as? and handle nil") }
            if unwrap.matches(line) { problems.append("\(place): a force unwrap traps on nil: unwrap with guard/if let") }
            guard importsGRDB else { continue }
            for (name, pattern) in subscripts where pattern.matches(line) {
                problems.append("\(place): GRDB's \(name)[…] subscript traps on a value it cannot convert: "
                                + "use \(name).decode(_:atIndex:) or decode(_:forColumn:)")
            }
        }
        return problems
    }

    @Test func noSourceTrapsOnAValueFromOutside() throws {
        let root = Self.sourcesFolder
        let files = try #require(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }.sorted()
        // Every target's sources (about 200 files today), so an empty result means something.
        #expect(files.count >= 100, "only \(files.count) Swift files found: is the scan still reading Sources/?")
        var problems: [String] = []
        for file in files {
            problems += try Self.problems(inSource: String(contentsOf: root.appendingPathComponent(file), encoding: .utf8),
                                          file: file)
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// The audit catches each trapping shape, and lets the throwing and the harmless ones through.
    @Test func theAuditRefusesEachTrappingShape() throws {
        let unsafe = #"""
            import GRDB
            func a(db: Database, text: String, any: Any) throws {
                let n = try! Int(text, format: .number)
                let s = any as! String
                let u = URL(string: text)!
                for row in try Row.fetchAll(db, sql: "SELECT 1") { let id: Int64 = row["id"] }
                let ids = try Row.fetchAll(db, sql: "SELECT 1").map { $0[0] as Int64 }
                guard let paid = try Row.fetchOne(db, sql: "SELECT 1") else { return }
                let amount: Int64 = paid["amount"]
                let below = try Row.fetchOne(db, sql: "SELECT 1")
                let alarm: Int = below?["alarm"] ?? 0
                func f(_ r: Row) -> String { r[1] }
            }
            """#
        let problems = try Self.problems(inSource: unsafe, file: "Sample.swift")
        let expected = [(3, "try!"), (4, "as!"), (5, "force unwrap"), (6, "row[…]"), (7, "$0[…]"), (9, "paid[…]"),
                        (11, "below[…]"), (12, "r[…]")]
        #expect(problems.count == expected.count, "\(problems.joined(separator: "\n"))")
        for (line, what) in expected {
            #expect(problems.contains { $0.hasPrefix("Sample.swift:\(line): ") && $0.contains(what) }, "line \(line): \(what)")
        }

        let safe = #"""
            import GRDB
            // try! row["id"] as! String -- a comment, not code
            /* let x = y! */
            func b(db: Database, text: String, any: Any, dict: [String: Int], list: [Int]) throws {
                let id: Int64 = try row.decode(atIndex: 0)
                let name = try row.decode(String.self, forColumn: "name")
                let s = any as? String
                let n = try? Int(text, format: .number)
                if !text.isEmpty && text != "x!" && n != nil { print("row[\(id)] done!") }
                let v = dict["row"] ?? list[0]
                let w = list.map { $0 + 1 }
                let arrow = self.row
            }
            """#
        let found = try Self.problems(inSource: safe, file: "Safe.swift")
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")

        // A file that does not import GRDB may subscript a dictionary named `row`.
        #expect(try Self.problems(inSource: #"let x = row["k"] ?? 0"#, file: "Plain.swift").isEmpty)
    }
}
