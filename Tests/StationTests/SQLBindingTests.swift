import Foundation
import Testing
@testable import Station

/// SQL only through bound parameters (issue 6, access control).
///
/// The audit reads every string literal of `Sources/Store` and refuses SQL text put together from
/// values: an interpolation in SQL text that is not GRDB's own `SQL` / `SQLRequest` literal (which
/// binds every interpolated value as `?`), a value quoted by hand (`'\(…)'`), SQL glued with `+`
/// or `String(format:)`. Values go in `arguments:` or a GRDB SQL literal. The few interpolations
/// of constant SQL fragments are listed below, each reviewed; a new one fails until it is bound
/// or reviewed.
@Suite struct SQLBindingTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")
    /// The store's statements, and the PostgreSQL engine's (the station copy's) beside them.
    static let storeFolders = ["Store", "StorePostgres"].map { sources.appendingPathComponent($0) }

    /// Interpolations of constant SQL text (file, expression): reviewed, none carries a value.
    static let reviewedFragments: Set<String> = [
        // `filter` is the constant "(CAST(?1 AS TEXT) IS NULL OR region = ?1)": the region itself is bound as ?1.
        "RegionStatistics.swift: filter",
        // `dueAtSQL` is the constant due-time expression; opened_at, kind and the default are bound.
        "ReviewQueue.swift: dueAtSQL",
        "CommandQueue+Dispatch.swift: ReviewQueue.dueAtSQL",
        // `columns` is ChargeCompaction's constant column list; the account and ids are bound.
        "ChargeCompaction.swift: columns",
        // The account book's constant texts: the row query, its type checks, the replay's columns
        // and the unfolded charges subquery; ids are bound.
        "AccountBook+Rows.swift: rowColumns",
        "AccountBook+Rows.swift: Self.replayed",
        "AccountBook+Rows.swift: Self.replayWellTyped",
        "Accounts.swift: AccountBook.unfoldedCharges",
        "Ledgers.swift: AccountBook.unfoldedCharges",
        "CommandQueue+Metrics.swift: AccountBook.unfoldedCharges",
        "RegionStatistics.swift: AccountBook.unfoldedCharges",
        // The constant column lists of reading charges and of a statement line's reading.
        "ReadingCharges.swift: columns",
        "StatementLedger.swift: Self.readingColumns",
        // The account row's copy of its baseline, set from a bound reading id.
        "StoreTransaction.swift: Self.baselineFromReading",
        "AccountRowScan.swift: AccountBook.rowColumns",
        // A fold statement's constant column names and its rows of `?` placeholders.
        #"AccountBook+Rows.swift: foldedColumns.joined(separator: ", ")"#,
        "AccountBook+Rows.swift: rows",
        // A station copy's table, key and column names, all from this binary's own schema (the
        // reference database `StationCopy.referenceTables` migrates); its `?` placeholders and
        // page size. Every value is bound.
        "StationCopy.swift: table.name",
        "StationCopy.swift: table.key",
        "StationCopy.swift: columns",
        "StationCopy.swift: page",
        "StationCopy.swift: placeholders",
        // A new database's name in CREATE DATABASE (DDL takes no parameters), refused unless it
        // is letters, digits and underscores (`PostgresAdmin.createDatabase`).
        "PostgresAdmin.swift: name",
        // PostgresNIO's query literal binds its interpolations as $n, as GRDB's SQL literal does.
        "PostgresMigrator.swift: identifier",
        "PostgresMigrator.swift: name",
        // The constant terminal column of the dispatcher's reads: a subquery on the command's
        // account, or NULL (`CommandQueue+Backlog.terminalColumn`); nothing bound goes in it.
        "CommandQueue+Backlog.swift: Self.terminalColumn(terminals)",
    ]

    static var sqlKeywords: Regex<AnyRegexOutput> { try! Regex(#"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE|ALTER TABLE|DROP|PRAGMA|WHERE|VALUES|ORDER BY|GROUP BY|CASE WHEN)\b"#) }
    /// Literals GRDB turns into bound statements: `SQL("…")`, `SQLRequest<T>("…")`, `literal: "…"`,
    /// `let r: SQLRequest<T> = "…"`.
    static var grdbLiteral: Regex<AnyRegexOutput> {
        try! Regex(#"(\bSQL|\bSQLRequest(<[^>]*>)?)\(\s*$|\bliteral:\s*$|:\s*(SQL|SQLRequest<[^>]*>)\s*=\s*$"#)
    }

    static func isSQL(_ literal: SwiftStringLiteral) -> Bool { literal.text.contains(sqlKeywords) }

    /// What is wrong with the literals of one source file, one line a problem.
    static func problems(in literals: [SwiftStringLiteral], file: String) -> [String] {
        var problems: [String] = []
        for literal in literals {
            if literal.text.contains("'\\(") {
                problems.append("\(literal): a value quoted by hand into text ('\\(…)'): bind it instead")
            }
            guard isSQL(literal) else { continue }
            let before = literal.before.trimmingCharacters(in: .whitespaces)
            let after = literal.after.trimmingCharacters(in: .whitespaces)
            if before.hasSuffix("+") || before.hasSuffix("+=") || after.hasPrefix("+") {
                problems.append("\(literal): SQL joined with + : use one literal and bound arguments")
            }
            if before.contains("format:") {
                problems.append("\(literal): SQL built with String(format:)")
            }
            guard literal.before.firstMatch(of: grdbLiteral) == nil else { continue }
            for expression in literal.interpolations where !reviewedFragments.contains("\(file): \(expression)") {
                problems.append("\(literal): \\(\(expression)) interpolated into SQL text: pass it in arguments: or use GRDB's SQL literal")
            }
        }
        return problems
    }

    @Test func storeBuildsNoSQLFromValues() throws {
        let files = try Self.storeFolders.flatMap { folder in
            try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }.sorted()
                .map { (folder, $0) }
        }
        #expect(files.count >= 10)
        var sqlLiterals = 0
        var problems: [String] = []
        var fragmentsSeen = Set<String>()
        for (folder, file) in files {
            let source = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let literals = SwiftStringLiterals.scan(source, file: file)
            sqlLiterals += literals.filter(Self.isSQL).count
            problems += Self.problems(in: literals, file: file)
            for literal in literals where Self.isSQL(literal) {
                fragmentsSeen.formUnion(literal.interpolations.map { "\(file): \($0)" })
            }
        }
        // The scan sees the store's SQL (about 90 statements today), so an empty result means something.
        #expect(sqlLiterals >= 50, "only \(sqlLiterals) SQL literals found: is the scanner still reading Sources/Store?")
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        // A reviewed fragment that is gone from the code leaves the list too.
        #expect(Self.reviewedFragments.subtracting(fragmentsSeen).isEmpty,
                "reviewed fragments no longer in the code: \(Self.reviewedFragments.subtracting(fragmentsSeen).sorted())")
    }

    /// The audit catches each way of building SQL from a value, and lets bound SQL through.
    @Test func theAuditRefusesEachUnsafeShape() {
        let unsafe = #"""
            func a(db: Database, id: String) throws {
                try db.execute(sql: "DELETE FROM account WHERE id = '\(id)'")
                try Row.fetchAll(db, sql: "SELECT * FROM account WHERE id = \(id)")
                let q = "SELECT * FROM account WHERE id = " + id
                let r = String(format: "SELECT * FROM account WHERE id = %@", id)
                try Row.fetchAll(db, sql: """
                    SELECT * FROM account
                    WHERE region = \(region.name) // comment inside a literal is text
                    """)
            }
            """#
        let problems = Self.problems(in: SwiftStringLiterals.scan(unsafe, file: "Sample.swift"), file: "Sample.swift")
        #expect(problems.count == 6, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("Sample.swift:2: a value quoted by hand") })
        #expect(problems.contains { $0.hasPrefix("Sample.swift:3: \\(id) interpolated") })
        #expect(problems.contains { $0.hasPrefix("Sample.swift:4: SQL joined with +") })
        #expect(problems.contains { $0.hasPrefix("Sample.swift:5: SQL built with String(format:)") })
        #expect(problems.contains { $0.hasPrefix("Sample.swift:6: \\(region.name) interpolated") })

        let safe = #"""
            // try db.execute(sql: "DELETE FROM account WHERE id = '\(id)'")  -- a comment, not code
            func b(db: Database, id: String, kinds: [String]) throws {
                try db.execute(sql: "DELETE FROM account WHERE id = ?", arguments: [id])
                let rows = try SQLRequest<Int64>("SELECT id FROM command WHERE kind IN \(kinds) AND meter = \(id)").fetchAll(db)
                try db.execute(literal: "UPDATE account SET region = \(id)")
                let request: SQLRequest<Row> = "SELECT * FROM account WHERE id = \(id)"
                logger.info("account \(id) updated")
            }
            """#
        #expect(Self.problems(in: SwiftStringLiterals.scan(safe, file: "Safe.swift"), file: "Safe.swift").isEmpty)
    }
}
