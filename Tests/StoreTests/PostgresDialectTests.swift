import Testing
@testable import StorePostgres

/// The store's SQLite statements as PostgreSQL runs them (issue 16): no server needed.
@Suite("PostgreSQL dialect")
struct PostgresDialectTests {
    @Test func placeholdersTwoArgumentMaxAndNullSafeComparisonsAreTranslated() {
        #expect(PostgresDialect.translate("UPDATE a SET x = MAX(x, ?) WHERE id = ? AND y IS ?")
                == "UPDATE a SET x = GREATEST(x, $1) WHERE id = $2 AND y IS NOT DISTINCT FROM $3")
    }

    @Test func anInsertIntoAnIdentityTableReturnsItsIDAndNoOtherStatementDoes() {
        #expect(PostgresDialect.identityTables == ["reading", "ledger", "command", "review_item", "audit", "outbox"])
        let ledger = PostgresDialect.statement("INSERT INTO ledger (account_id, kind) VALUES (?, ?)")
        #expect(ledger.returnsID && ledger.sql.hasSuffix(" RETURNING id"))
        let payment = PostgresDialect.statement("INSERT INTO payment (order_no) VALUES (?)")
        #expect(!payment.returnsID && !payment.sql.contains("RETURNING"))
        let drained = PostgresDialect.statement("DELETE FROM account_book_changed RETURNING id")
        #expect(!drained.returnsID)
        let update = PostgresDialect.statement("UPDATE command SET state = ? WHERE id = ?")
        #expect(!update.returnsID)
    }
}
