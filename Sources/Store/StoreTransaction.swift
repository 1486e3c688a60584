import ChargeControl
import Foundation
import Tariffs

/// One write transaction, offered to the station without exposing SQL: a reading, its charge,
/// the new balance, the commands it causes and their audit rows all commit together or not at
/// all. Build it with `StationStore.transaction`.
public struct StoreTransaction {
    let db: SQLSession

    /// The account as stored now, inside this transaction.
    public func account(_ id: String) throws -> AccountRecord {
        try StationStore.account(id, in: db)
    }

    /// The account that owns a meter, if any.
    public func accountID(meter: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM account WHERE meter_address = ?"), arguments: [meter])
    }

    /// The account and its baseline reading: from the account book (no read at all), or, for a
    /// store without one, in one statement (two account reads and a reading read per reading
    /// were half of ingestion's CPU, issue 7).
    public func accountForReading(_ id: String) throws -> (account: AccountRecord, baseline: MeterReading?) {
        if let book = AccountBook.current {
            guard let entry = try book.entry(id, in: db) else { throw StoreError.unknownAccount(id) }
            return (entry.record, entry.baseline)
        }
        guard let row = try SQLRow.fetchOne(db.cachedStatement(sql: AccountBook.selectOne), arguments: [id]) else {
            throw StoreError.unknownAccount(id)
        }
        let entry = try AccountBook.entry(row)
        return (entry.record, entry.baseline)
    }

    /// The account row's copy of its baseline's registers, set from reading `?`.
    static let baselineFromReading = """
        (baseline_collected_at, baseline_meter_time_at, baseline_total_hundredths, baseline_sharp_hundredths, baseline_peak_hundredths,
         baseline_flat_hundredths, baseline_valley_hundredths) = (SELECT collected_at, meter_time_at, total_hundredths, sharp_hundredths,
            peak_hundredths, flat_hundredths, valley_hundredths FROM reading WHERE id = ?)
        """

    /// The baseline's columns decoded from position `first` on.
    static func reading(_ row: SQLRow, from i: Int) throws -> MeterReading {
        try MeterReading(
            collectedAt: StoredInstant.date(row.decode(atIndex: i)),
            meterTime: row.decode(Int64?.self, atIndex: i + 1).map(StoredInstant.date),
            total: Energy(hundredths: row.decode(atIndex: i + 2)),
            registers: PerRegister(sharp: Energy(hundredths: row.decode(atIndex: i + 3)),
                                   peak: Energy(hundredths: row.decode(atIndex: i + 4)),
                                   flat: Energy(hundredths: row.decode(atIndex: i + 5)),
                                   valley: Energy(hundredths: row.decode(atIndex: i + 6))))
    }

    /// Whether this daemon acts for `terminal` now: solo, or under its lease with time to spare
    /// (a node charges readings and claims commands only for the terminals it leases; issue 16).
    public func actsFor(terminal: String) -> Bool {
        AccountBook.current?.cluster.holds(terminal: terminal) ?? true
    }

    /// Stores a reading; abnormal ones carry their reason codes and never become the baseline.
    /// `baseline`: the reading becomes its account's baseline, with what it did to the account
    /// (what a restart replays when the account row has not received it yet).
    public func insertReading(_ r: MeterReading, account: String, abnormal: [AbnormalReason],
                              baseline: ReadingEffect? = nil) throws -> Int64 {
        try ReadingRow.insert(r, account: account, abnormal: abnormal.isEmpty ? nil : abnormal.map(\.description).joined(separator: "; "),
                              effect: baseline, in: db)
    }

    /// What a reading that became its account's baseline did to the account.
    public struct ReadingEffect: Sendable, Hashable {
        /// The charge of its interval (the ledger's amount, subtracted); nil for a first reading.
        public var charge: Money?
        public var energy: Energy?
        public var balanceAfter: Money
        /// The tier-year position after it; nil when it did not move.
        public var position: TierYearPosition?

        public init(charge: Money?, energy: Energy?, balanceAfter: Money, position: TierYearPosition?) {
            self.charge = charge
            self.energy = energy
            self.balanceAfter = balanceAfter
            self.position = position
        }

        /// The charge's effect on the balance (it is subtracted).
        var balanceEffect: Money { Money(microYuan: 0 &- (charge?.microYuan ?? 0)) }
    }

    /// The account book takes a reading that became the baseline, with what it did (`effect`,
    /// as stored on its row), and the account row is written behind. Without a book (a
    /// read-only store) the row is updated now.
    public func takeBaseline(_ readingID: Int64, reading: MeterReading, of account: String, effect: ReadingEffect,
                             at now: Date) throws {
        guard let book = AccountBook.current else {
            let position = effect.position
            try db.executeCached(sql: """
                UPDATE account SET balance_micro_yuan = balance_micro_yuan + ?, last_reading_id = ?, last_reading_at = ?,
                    tier_year_start_at = COALESCE(?, tier_year_start_at), tier_year_used_hundredths = COALESCE(?, tier_year_used_hundredths),
                    charged_through = MAX(charged_through, ?), billed_hundredths = billed_hundredths + ?, updated_at = ?,
                    \(Self.baselineFromReading)
                WHERE id = ?
                """, arguments: [effect.balanceEffect.microYuan, readingID, StoredInstant.millis(reading.collectedAt),
                                 position.map { StoredInstant.millis($0.yearStart) }, position?.used.hundredths, readingID,
                                 effect.energy?.hundredths ?? 0, StoredInstant.millis(now), readingID, account])
            guard db.changesCount == 1 else { throw StoreError.unknownAccount(account) }
            return
        }
        try book.stageReading(readingID, of: account, reading: reading, effect: effect, in: db)
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
        try updateAccount(account, state: state, meter: meter, meterSeenAt: meterSeenAt, at: at)
    }

    /// A reading the evaluation made the account's baseline, with its tier-year position.
    public struct AcceptedReading: Sendable, Hashable {
        public var id: Int64
        public var at: Date
        public var position: TierYearPosition?

        public init(id: Int64, at: Date, position: TierYearPosition?) {
            self.id = id
            self.at = at
            self.position = position
        }
    }

    /// A charge's ledger entry alone: the balance moves with the `balanceDelta` of the
    /// `updateAccount` that follows in the same savepoint, so a reading costs one account write,
    /// not three (issue 7). Returns the entry's effect on the balance.
    public func insertChargeEntry(account: String, amount: Money, energy: Energy, readingID: Int64, reference: String,
                                  at: Date) throws -> Money {
        try Ledgers.insertEntry(account: account, kind: .charge, amount: amount, at: StoredInstant.millis(at), reference: reference,
                                readingID: readingID, energy: energy, in: db)
    }

    /// Everything an evaluation changes on the account row, in one UPDATE: the control state,
    /// the meter's state when known, the balance moved by `balanceDelta` (whose ledger entry the
    /// caller inserted in this transaction), and the accepted reading when there is one.
    public func updateAccount(_ account: String, state: AccountControlState, meter: MeterState?, meterSeenAt: Date? = nil,
                              balanceDelta: Money = .zero, accepted: AcceptedReading? = nil, at: Date) throws {
        // A baseline set here must not be overtaken by older readings a restart would replay:
        // the account's unfolded readings go into the row first.
        if accepted != nil || balanceDelta != .zero, let book = AccountBook.current { try book.fold(account, in: db) }
        let seen = meter.map { _ in StoredInstant.millis(meterSeenAt ?? at) }
        try db.executeCached(sql: """
            UPDATE account SET state = ?, relay = COALESCE(?, relay), alarm = COALESCE(?, alarm),
                keep_power = COALESCE(?, keep_power), meter_state_at = COALESCE(?, meter_state_at), updated_at = ?,
                balance_micro_yuan = balance_micro_yuan + ?,
                last_reading_id = COALESCE(?, last_reading_id), last_reading_at = COALESCE(?, last_reading_at),
                tier_year_start_at = COALESCE(?, tier_year_start_at),
                tier_year_used_hundredths = COALESCE(?, tier_year_used_hundredths)
            WHERE id = ?
            """, arguments: [state.rawValue, meter?.relay.rawValue, meter?.alarm, meter?.keepPower, seen, StoredInstant.millis(at),
                             balanceDelta.microYuan, accepted?.id, accepted.map { StoredInstant.millis($0.at) },
                             accepted?.position.map { StoredInstant.millis($0.yearStart) }, accepted?.position?.used.hundredths,
                             account])
        if let accepted {
            try db.executeCached(sql: "UPDATE account SET \(Self.baselineFromReading) WHERE id = ?", arguments: [accepted.id, account])
        }
        guard db.changesCount == 1 else { throw StoreError.unknownAccount(account) }
    }

    /// Queues a planned command (see `CommandQueue.enqueue`).
    @discardableResult
    public func enqueue(_ planned: PlannedCommand, account: String, meter: String, deadline: Date, at: Date) throws -> Int64 {
        try CommandQueue.enqueue(planned, account: account, meter: meter, deadline: deadline, at: at, in: db)
    }

    /// Queues a planned command and tells whether it is new (false: an equal one was kept).
    /// `batch` tags the commands of one campaign (a price push) so that its progress can be counted.
    public func queue(_ planned: PlannedCommand, account: String, meter: String, deadline: Date, at: Date,
                      batch: String? = nil) throws -> (id: Int64, isNew: Bool) {
        try CommandQueue.queue(planned, account: account, meter: meter, deadline: deadline, at: at, batch: batch, in: db)
    }

    /// Records the second alarm level raised at `at`, or cleared (nil), with an audit row.
    public func setSecondAlarm(account: AccountRecord, raisedAt at: Date?, detail: String, now: Date) throws {
        try db.executeCached(sql: "UPDATE account SET alarm2_at = ? WHERE id = ?",
                             arguments: [at.map(StoredInstant.millis), account.id])
        try audit(AuditEvent(at: now, event: at == nil ? "alarm2_cleared" : "alarm2", accountID: account.id,
                             meterAddress: account.meterAddress, balanceMicroYuan: account.balance.microYuan, detail: detail))
    }

    /// Opens a review item for an abnormal reading.
    @discardableResult
    public func openReadingReview(account: String, meter: String, readingID: Int64, reason: String, at: Date) throws -> Int64 {
        try ReviewQueue.open(kind: .reading, account: account, meter: meter, commandID: nil, readingID: readingID,
                             reason: reason, at: at, in: db)
    }

    /// Records a payment exactly once (see `StationStore.recordPayment`), so that the payment and
    /// the re-evaluation it triggers commit together.
    public func recordPayment(_ p: PaymentRequest, receivedAt: Date, maxAmount: Money = AmountBounds.defaultPayment) throws -> PaymentOutcome {
        try StationStore.recordPayment(p, receivedAt: receivedAt, maxAmount: maxAmount, in: db)
    }

    /// Appends an audit record.
    public func audit(_ event: AuditEvent) throws {
        try AuditTrail.append(event, in: db)
    }
}

extension StationStore {
    /// Runs `body` as one write transaction (committed and fsynced when it returns). Writes that
    /// arrive together share a commit, each in its own savepoint: a `body` that throws is rolled
    /// back alone. `reconnection`: a payment or a step of a reconnection, which a customer waits
    /// for, so a bulk write under way commits early (`reconnectionWritesWaiting`).
    public func transaction<T: Sendable>(reconnection: Bool = false,
                                         _ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        try await write(reconnection ? .reconnection : .urgent) { db in try body(StoreTransaction(db: db)) }
    }

    /// A payment or reconnection step waits for the bulk write under way (or for the next round):
    /// a bulk write checks this between its items and commits what it has.
    public var reconnectionWritesWaiting: Bool { group.reconnectionWaiting }

    /// `transaction` for a large write (a batch of readings): a commit round takes at most one,
    /// so the small writes waiting beside it are delayed by one large write at most.
    public func bulkTransaction<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        try await write(.bulk) { db in try body(StoreTransaction(db: db)) }
    }
}
