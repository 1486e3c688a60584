import ChargeControl
import Foundation
import GRDB
import Tariffs

/// One write transaction, offered to the station without exposing SQL: a reading, its charge,
/// the new balance, the commands it causes and their audit rows all commit together or not at
/// all. Build it with `StationStore.transaction`.
public struct StoreTransaction {
    let db: Database

    /// The account as stored now, inside this transaction.
    public func account(_ id: String) throws -> AccountRecord {
        try StationStore.account(id, in: db)
    }

    /// The account that owns a meter, if any.
    public func accountID(meter: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM account WHERE meter_address = ?"), arguments: [meter])
    }

    /// The last accepted reading (the baseline the next one is validated and billed against).
    public func lastAcceptedReading(of account: AccountRecord) throws -> MeterReading? {
        guard let id = account.lastReadingID,
              let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM reading WHERE id = ?"), arguments: [id])
        else { return nil }
        return MeterReading(
            collectedAt: StoredInstant.date(row["collected_at"]),
            meterTime: (row["meter_time_at"] as Int64?).map(StoredInstant.date),
            total: Energy(hundredths: row["total_hundredths"]),
            registers: PerRegister(sharp: Energy(hundredths: row["sharp_hundredths"]), peak: Energy(hundredths: row["peak_hundredths"]),
                                   flat: Energy(hundredths: row["flat_hundredths"]), valley: Energy(hundredths: row["valley_hundredths"])))
    }

    /// Stores a reading; abnormal ones carry their reason codes and never become the baseline.
    public func insertReading(_ r: MeterReading, account: String, abnormal: [AbnormalReason]) throws -> Int64 {
        try db.executeCached(sql: """
            INSERT INTO reading (account_id, collected_at, meter_time_at, total_hundredths, sharp_hundredths, peak_hundredths,
                flat_hundredths, valley_hundredths, status, abnormal_reasons)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [account, StoredInstant.millis(r.collectedAt), r.meterTime.map(StoredInstant.millis), r.total.hundredths,
                             r.registers.sharp.hundredths, r.registers.peak.hundredths, r.registers.flat.hundredths,
                             r.registers.valley.hundredths, abnormal.isEmpty ? "accepted" : "abnormal",
                             abnormal.isEmpty ? nil : abnormal.map(\.description).joined(separator: "; ")])
        return db.lastInsertedRowID
    }

    /// Makes an accepted reading the account's baseline and records its tier-year position.
    public func acceptReading(_ readingID: Int64, at: Date, account: String, position: TierYearPosition?) throws {
        try db.executeCached(sql: """
            UPDATE account SET last_reading_id = ?, last_reading_at = ?,
                tier_year_start_at = COALESCE(?, tier_year_start_at),
                tier_year_used_hundredths = COALESCE(?, tier_year_used_hundredths)
            WHERE id = ?
            """, arguments: [readingID, StoredInstant.millis(at), position.map { StoredInstant.millis($0.yearStart) },
                             position?.used.hundredths, account])
    }

    /// Posts a charge for an interval and returns the new balance.
    public func postCharge(account: String, amount: Money, energy: Energy, readingID: Int64, reference: String,
                           at: Date) throws -> Money {
        try Ledgers.post(account: account, kind: .charge, amount: amount, at: StoredInstant.millis(at), reference: reference,
                         readingID: readingID, energy: energy, in: db).balance
    }

    /// Records the control state the policy derived and, when known, the meter's state, seen at
    /// `meterSeenAt` (default `at`).
    public func setControlState(account: String, state: AccountControlState, meter: MeterState?, meterSeenAt: Date? = nil,
                                at: Date) throws {
        let seen = meter.map { _ in StoredInstant.millis(meterSeenAt ?? at) }
        try db.executeCached(sql: """
            UPDATE account SET state = ?, relay = COALESCE(?, relay), alarm = COALESCE(?, alarm),
                keep_power = COALESCE(?, keep_power), meter_state_at = COALESCE(?, meter_state_at), updated_at = ?
            WHERE id = ?
            """, arguments: [state.rawValue, meter?.relay.rawValue, meter?.alarm, meter?.keepPower, seen, StoredInstant.millis(at),
                             account])
    }

    /// Queues a planned command (see `CommandQueue.enqueue`).
    @discardableResult
    public func enqueue(_ planned: PlannedCommand, account: String, meter: String, deadline: Date, at: Date) throws -> Int64 {
        try CommandQueue.enqueue(planned, account: account, meter: meter, deadline: deadline, at: at, in: db)
    }

    /// Queues a planned command and tells whether it is new (false: an equal one was kept).
    public func queue(_ planned: PlannedCommand, account: String, meter: String, deadline: Date, at: Date) throws -> (id: Int64, isNew: Bool) {
        try CommandQueue.queue(planned, account: account, meter: meter, deadline: deadline, at: at, in: db)
    }

    /// Opens a review item for an abnormal reading.
    @discardableResult
    public func openReadingReview(account: String, meter: String, readingID: Int64, reason: String, at: Date) throws -> Int64 {
        try ReviewQueue.open(kind: "reading", account: account, meter: meter, commandID: nil, readingID: readingID,
                             reason: reason, at: at, in: db)
    }

    /// Records a payment exactly once (see `StationStore.recordPayment`), so that the payment and
    /// the re-evaluation it triggers commit together.
    public func recordPayment(_ p: PaymentRequest, receivedAt: Date) throws -> PaymentOutcome {
        try StationStore.recordPayment(p, receivedAt: receivedAt, in: db)
    }

    /// Appends an audit record.
    public func audit(_ event: AuditEvent) throws {
        try AuditTrail.append(event, in: db)
    }
}

extension StationStore {
    /// Runs `body` as one write transaction (committed and fsynced when it returns). Writes that
    /// arrive together share a commit, each in its own savepoint: a `body` that throws is rolled
    /// back alone.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        try await write { db in try body(StoreTransaction(db: db)) }
    }

    /// `transaction` for a large write (a batch of readings): a commit round takes at most one,
    /// so the small writes waiting beside it are delayed by one large write at most.
    public func bulkTransaction<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        try await write(.bulk) { db in try body(StoreTransaction(db: db)) }
    }
}
