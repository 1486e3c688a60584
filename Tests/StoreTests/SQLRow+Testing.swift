@testable import Store

/// GRDB's row subscripts, for tests only: a value of another type stops the test (`try!`).
extension SQLRow {
    subscript<T: SQLStorable>(_ column: String) -> T {
        // swiftlint:disable:next force_try
        try! decode(T.self, forColumn: column)
    }

    subscript<T: SQLStorable>(_ index: Int) -> T {
        // swiftlint:disable:next force_try
        try! decode(T.self, atIndex: index)
    }
}
