import Foundation
import GRDB
import Testing
@testable import Store

/// Every list page seeks an index and reads its rows in key order (issue 14): no plan scans a
/// table or sorts, so a page costs the same at the millionth account as at the first.
@Suite struct ListPageTests {
    static let pageSQL: [(name: String, sql: String, index: String)] = [
        ("accounts", PageSQL.accounts, "sqlite_autoindex_account_1"),
        ("accountsOfRegion", PageSQL.accountsOfRegion, "account_region"),
        ("normalAccounts", PageSQL.normalAccounts, "sqlite_autoindex_account_1"),
        ("normalAccountsOfRegion", PageSQL.normalAccountsOfRegion, "account_region"),
        ("accountsInState", PageSQL.accountsInState, "account_state"),
        ("accountsOfRegionInState", PageSQL.accountsOfRegionInState, "account_region_state"),
        ("accountsInFeeControl", PageSQL.accountsInFeeControl, "account_fee_control"),
        ("accountsOfRegionInFeeControl", PageSQL.accountsOfRegionInFeeControl, "account_fee_control"),
        ("commands", PageSQL.commands, "command_account"),
        ("openReviewItems", PageSQL.openReviewItems, "review_open"),
        ("auditRows", PageSQL.auditRows, "INTEGER PRIMARY KEY"),
        ("auditRowsOfAccount", PageSQL.auditRowsOfAccount, "audit_account"),
    ]

    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly), arguments: pageSQL.map(\.name))
    func thePageSeeksItsIndex(_ name: String) async throws {
        let (store, _) = try await temporaryStore()
        let query = try #require(Self.pageSQL.first { $0.name == name })
        let placeholders = query.sql.matches(of: /\?\d/).count
        let arguments = SQLArguments(values: (0..<placeholders).map { _ in .text("x") })
        let plan = try await store.writer.read { db in
            try SQLRow.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + query.sql, arguments: arguments).map { row -> String in
                try row.decode(String.self, forColumn: "detail")
            }
        }
        #expect(plan.contains { $0.hasPrefix("SEARCH") && $0.contains(query.index) }, "\(name): \(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(name) sorts instead of walking an index: \(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(name) scans: \(plan)")
    }
}
