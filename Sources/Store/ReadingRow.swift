import ChargeControl
import Foundation
import GRDB
import GRDBSQLite
import Tariffs

/// The hot path's one statement, bound through SQLite's C API: GRDB's argument handling (a
/// `StatementArguments` array of `DatabaseValue`s per call, validated and converted) was the
/// larger part of inserting a reading in the p7 profile (issue 15). The statement is GRDB's
/// cached one; only the binding and the step are done here.
enum ReadingRow {
    static let insert = """
        INSERT INTO reading (account_id, collected_at, meter_time_at, total_hundredths, sharp_hundredths, peak_hundredths,
            flat_hundredths, valley_hundredths, status, abnormal_reasons, charge_micro_yuan, energy_hundredths,
            balance_after_micro_yuan, tier_year_start_at, tier_year_used_hundredths)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Inserts the reading and returns its id.
    static func insert(_ r: MeterReading, account: String, abnormal: String?, effect: StoreTransaction.ReadingEffect?,
                       in db: SQLSession) throws -> Int64 {
        guard let sqlite = db.sqlite else {
            try db.executeCached(sql: insert, arguments: [
                account, StoredInstant.millis(r.collectedAt), r.meterTime.map(StoredInstant.millis), r.total.hundredths,
                r.registers.sharp.hundredths, r.registers.peak.hundredths, r.registers.flat.hundredths, r.registers.valley.hundredths,
                abnormal == nil ? "accepted" : "abnormal", abnormal, effect?.charge?.microYuan, effect?.energy?.hundredths,
                effect?.balanceAfter.microYuan, effect?.position.map { StoredInstant.millis($0.yearStart) },
                effect?.position?.used.hundredths,
            ])
            return try db.lastInsertedRowID
        }
        let statement = try sqlite.cachedStatement(sql: insert)
        let handle = statement.sqliteStatement
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        func int(_ index: Int32, _ value: Int64?) {
            if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
        }
        func text(_ index: Int32, _ value: String?) {
            guard var value else { sqlite3_bind_null(handle, index); return }
            // The UTF-8 in place (a String passed as a C string is copied into a new array
            // first: a twentieth of p7's ingestion). SQLITE_TRANSIENT: SQLite copies the text
            // before the call returns. An empty string has no address: bound as "" (not NULL).
            value.withUTF8 { bytes in
                let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
                if let start = bytes.baseAddress, bytes.count > 0 {
                    start.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        _ = sqlite3_bind_text(handle, index, $0, Int32(bytes.count), transient)
                    }
                } else {
                    sqlite3_bind_text(handle, index, "", 0, transient)
                }
            }
        }
        text(1, account)
        int(2, StoredInstant.millis(r.collectedAt))
        int(3, r.meterTime.map(StoredInstant.millis))
        int(4, r.total.hundredths)
        int(5, r.registers.sharp.hundredths)
        int(6, r.registers.peak.hundredths)
        int(7, r.registers.flat.hundredths)
        int(8, r.registers.valley.hundredths)
        text(9, abnormal == nil ? "accepted" : "abnormal")
        text(10, abnormal)
        int(11, effect?.charge?.microYuan)
        int(12, effect?.energy?.hundredths)
        int(13, effect?.balanceAfter.microYuan)
        int(14, effect?.position.map { StoredInstant.millis($0.yearStart) })
        int(15, effect?.position?.used.hundredths)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(sqlite.sqliteConnection)),
                                message: String(cString: sqlite3_errmsg(sqlite.sqliteConnection)), sql: insert)
        }
        return sqlite.lastInsertedRowID
    }
}
