import ChargeControl
import Foundation
import GRDB
import GRDBSQLite
import Tariffs

/// Start-up's pass over every account row (`AccountBook.load`), decoded through SQLite's C API:
/// at 1,000,000 accounts, GRDB's rows and a type check per column in SQL made the start take
/// seconds (p6). Every column's storage class is checked here as it is read; a row with one
/// out of place is not decoded, and its first use reads it on its own and names the problem.
enum AccountRowScan {
    /// Calls `body` with each well-formed row's entry, and `skipped` with the id of each other one.
    static func scan(_ session: SQLSession, _ body: (AccountBook.Entry) -> Void, skipped: (String) -> Void) throws {
        let sql = "SELECT \(AccountBook.rowColumns) FROM account AS a"
        guard let db = session.sqlite else {
            // PostgreSQL's columns are typed: a row decodes or names its problem at its first use.
            var rows = try SQLRow.fetchCursor(session, sql: sql)
            while let row = try rows.next() {
                if let entry = try? AccountBook.entry(row) { body(entry) } else if let id = try? row.decode(String.self, atIndex: 0) { skipped(id) }
            }
            return
        }
        var prepared: OpaquePointer?
        guard sqlite3_prepare_v2(db.sqliteConnection, sql, -1, &prepared, nil) == SQLITE_OK, let s = prepared else {
            throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)),
                                message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }
        defer { sqlite3_finalize(s) }
        while true {
            let code = sqlite3_step(s)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)),
                                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
            }
            if let entry = entry(s) { body(entry) } else if let id = text(s, 0) { skipped(id) }
        }
    }

    private static func text(_ s: OpaquePointer, _ i: Int32) -> String? {
        guard sqlite3_column_type(s, i) == SQLITE_TEXT, let p = sqlite3_column_text(s, i) else { return nil }
        return String(cString: p)
    }

    /// An integer column: .some(nil) for NULL where `nullable`, nil when out of place.
    private static func integer(_ s: OpaquePointer, _ i: Int32, nullable: Bool = false) -> Int64?? {
        switch sqlite3_column_type(s, i) {
        case SQLITE_INTEGER: .some(sqlite3_column_int64(s, i))
        case SQLITE_NULL where nullable: .some(nil)
        default: nil
        }
    }

    /// The row's entry, nil when a column is out of place (`AccountBook.rowColumns`' order).
    private static func entry(_ s: OpaquePointer) -> AccountBook.Entry? {
        guard let id = text(s, 0), let meter = text(s, 1), let terminal = text(s, 2), let tariff = text(s, 3),
              let region = text(s, 4) else { return nil }
        let customerClass: String?
        switch sqlite3_column_type(s, 5) {
        case SQLITE_NULL: customerClass = nil
        case SQLITE_TEXT: customerClass = text(s, 5)
        default: return nil
        }
        guard let alarm = integer(s, 6, nullable: true), let trip = integer(s, 7, nullable: true),
              let isProtected = integer(s, 8) ?? nil, let balance = integer(s, 9) ?? nil,
              let tierStart = integer(s, 10, nullable: true), let tierUsed = integer(s, 11) ?? nil,
              let lastReadingID = integer(s, 12, nullable: true), let lastReadingAt = integer(s, 13, nullable: true),
              let relay = text(s, 14).flatMap(RelayState.init(rawValue:)), let meterAlarm = integer(s, 15) ?? nil,
              let keepPower = integer(s, 16) ?? nil, let meterStateAt = integer(s, 17, nullable: true),
              let state = text(s, 18).flatMap(AccountControlState.init(rawValue:)),
              let feeControl = text(s, 19).flatMap(FeeControlState.init(rawValue:)),
              let alarm2At = integer(s, 20, nullable: true), let baselineAt = integer(s, 21, nullable: true),
              let chargedThrough = integer(s, 28) ?? nil, let billed = integer(s, 29) ?? nil else { return nil }
        var baseline: MeterReading?
        if let baselineAt {
            guard let meterTime = integer(s, 22, nullable: true), let total = integer(s, 23) ?? nil, let sharp = integer(s, 24) ?? nil,
                  let peak = integer(s, 25) ?? nil, let flat = integer(s, 26) ?? nil, let valley = integer(s, 27) ?? nil else { return nil }
            baseline = MeterReading(collectedAt: StoredInstant.date(baselineAt), meterTime: meterTime.map(StoredInstant.date),
                                    total: Energy(hundredths: total),
                                    registers: PerRegister(sharp: Energy(hundredths: sharp), peak: Energy(hundredths: peak),
                                                           flat: Energy(hundredths: flat), valley: Energy(hundredths: valley)))
        }
        let record = AccountRecord(
            id: id, meterAddress: meter, terminalID: terminal, tariff: tariff, region: region, customerClass: customerClass,
            alarmThreshold: alarm.map(Money.init(microYuan:)), tripThreshold: trip.map(Money.init(microYuan:)),
            isProtected: isProtected != 0, balance: Money(microYuan: balance), tierYearStart: tierStart.map(StoredInstant.date),
            tierYearUsed: Energy(hundredths: tierUsed), lastReadingID: lastReadingID, lastReadingAt: lastReadingAt.map(StoredInstant.date),
            meter: MeterState(relay: relay, alarm: meterAlarm != 0, keepPower: keepPower != 0),
            meterStateAt: meterStateAt.map(StoredInstant.date), state: state, feeControl: feeControl,
            alarm2At: alarm2At.map(StoredInstant.date))
        return AccountBook.Entry(record: record, baseline: baseline, rowChargedThrough: chargedThrough, billed: Energy(hundredths: billed))
    }
}
