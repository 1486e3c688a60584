import Foundation
import Testing
@testable import Store

/// Command rows are decoded by position: every statement that reads them must select
/// `CommandRecord.columns`, in that order.
@Suite("Store: command rows read by position")
struct CommandRowTests {
    /// The select list of `sql` (between SELECT and FROM), column names without table aliases.
    func selectList(_ sql: String) throws -> [String] {
        let select = try #require(sql.range(of: "SELECT "))
        let from = try #require(sql.range(of: #"\sFROM\s"#, options: .regularExpression, range: select.upperBound..<sql.endIndex))
        return sql[select.upperBound..<from.lowerBound].split(separator: ",").map { column in
            let name = column.trimmingCharacters(in: .whitespacesAndNewlines)
            return String(name.split(separator: ".").last ?? Substring(name))
        }
    }

    @Test(arguments: [CommandRecord.selectByID, CommandRecord.selectOfAccount, CommandRecord.selectDue, PageSQL.commands,
                      StationStore.dispatchableSQL])
    func theStatementSelectsTheDecodedColumnsInOrder(sql: String) throws {
        #expect(try selectList(sql) == CommandRecord.columns)
    }
}
