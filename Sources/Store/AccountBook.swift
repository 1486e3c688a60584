import ChargeControl
import Foundation
import Synchronization
import Tariffs

/// Every account's state in memory, owned by the store's one writer (issue 15): a reading is
/// evaluated from here and leaves one appended row, not an account read and an account update.
///
/// The account row is written behind (`foldIntoRows`), so it may lag its readings. What it
/// lacks is always on disk, in the readings after its `charged_through` (each accepted reading
/// carries its charge and the tier position after it), and start-up replays them (`load`).
/// Invariant, for every account: the row's balance, plus the effect of the charges of its
/// readings after `charged_through`, is the balance, which equals the ledger's replay.
///
/// Changes are staged by the writes of a group-commit round and published when the round
/// commits; a write that rolls back (its savepoint) undoes what it staged; a round that fails
/// discards everything staged. Readers (the API) see only published state.
///
/// Rows changed by any other write (a payment, a state change, provisioning) are noticed by a
/// temporary trigger on the writer's connection (`install`) and read again before their next
/// use: the row's fields, with what the row has not yet received of the readings laid over them.
public final class AccountBook: Sendable {
    /// One account: the record as the station sees it now, and what its row still lacks.
    struct Entry: Sendable {
        /// Balance, tier position and baseline included.
        var record: AccountRecord
        /// The accepted reading `record.lastReadingID` names.
        var baseline: MeterReading?
        /// The effect on the balance of the charges the row has not received.
        var unfolded = Money.zero
        /// The first and last reading not folded into the row; nil when the row is up to date.
        var unfoldedReadings: ClosedRange<Int64>?
        /// The row's `charged_through`.
        var rowChargedThrough: Int64 = 0
        /// Energy billed to the account in all (its row's `billed_hundredths` and what is unfolded).
        var billed = Energy.zero
        /// The energy of the charges the row has not received.
        var unfoldedEnergy = Energy.zero

        /// Lays a reading that became the account's baseline over the entry, with what it did:
        /// an evaluation's (`stageReading`) and a restart's replay of it alike.
        mutating func take(_ readingID: Int64, reading: MeterReading, effect: StoreTransaction.ReadingEffect) throws {
            let change = effect.balanceEffect
            guard let balance = record.balance.adding(change, within: AmountBounds.balance), let unfolded = unfolded.adding(change) else {
                throw BalanceOutOfBounds(account: record.id, balance: record.balance, change: change)
            }
            record.balance = balance
            self.unfolded = unfolded
            unfoldedReadings = (unfoldedReadings?.lowerBound ?? readingID)...readingID
            let energy = effect.energy ?? .zero
            billed = billed.adding(energy) ?? billed
            unfoldedEnergy = unfoldedEnergy.adding(energy) ?? unfoldedEnergy
            baseline = reading
            record.lastReadingID = readingID
            record.lastReadingAt = reading.collectedAt
            if let position = effect.position {
                record.tierYearStart = position.yearStart
                record.tierYearUsed = position.used
            }
        }
    }

    struct State {
        var published = PackedAccounts()
        /// Staged by the round under way: nil, the book no longer holds the account (deleted, or
        /// its row cannot be read: its next use reads the row again).
        var staged: [String: Entry?] = [:]
        /// What each staging replaced in `staged` (nil: nothing was staged), for rollbacks.
        var undo: [(id: String, previous: Entry??)] = []
        /// Rows changed by writes outside the book since they were last read.
        var touched: Set<String> = []
        /// The book is writing rows itself: the trigger is not news.
        var folding = false
        /// Published accounts with readings not folded into their rows: the first of those readings.
        var unfolded: [String: Int64] = [:]
        /// Accounts the book let go of while their rows may lack readings (a row that could not
        /// be read at start-up or since): their next read replays those readings from disk.
        var needReplay: Set<String> = []
        /// Totals of the published accounts (`/metrics`, `/v1/stats`).
        var tally = AccountTally()
        /// While the book loads behind the station's start (`StationStore.loadBook`): the accounts
        /// the writer read, staged or saw changed meanwhile. Their loaded state is older than the
        /// writer's, so the load leaves them as the writer has them; nil once loaded.
        var loading: Set<String>?
        /// Accounts last read as another node's (issue 16): their entries hold no unfolded
        /// readings, so when this node holds their terminal they are read again with the
        /// readings their rows lack. Empty on a solo station.
        var foreignRead: Set<String> = []
        /// Account rows the write under way changed, kept for its end when clustered (whoever
        /// owns them hears of it; `refreshTouched`).
        var changedByWrite: Set<String> = []
        /// A node of several: the highest reading id seen at the last move of the replay's start,
        /// and when (`advanceFoldedThrough`).
        var clusterFloor: (seen: Int64, at: Date)?
        /// The entry the writer read or staged last, as `entry` would give it now: an evaluation
        /// reads its account, then stages the reading on it (one unpacking instead of two).
        /// Forgotten by anything that may change what `entry` gives.
        var lastRead: (id: String, entry: Entry)?
    }

    let state = Mutex(State())
    /// Which accounts are this node's (on terminals it leases): the others are read from the
    /// database at every use, never trusted from memory nor folded (issue 16).
    let cluster: ClusterMembership

    init(cluster: ClusterMembership) {
        self.cluster = cluster
    }

    /// The book of the write running on this thread (bound by `StationStore.write`).
    @TaskLocal static var current: AccountBook?

    // MARK: The writer's side

    /// The account as the writer sees it (staged, else published; read again when its row
    /// changed under another write), nil when there is none.
    func entry(_ id: String, in db: SQLSession) throws -> Entry? {
        let known = state.withLock { s -> Entry? in
            if !s.foreignRead.isEmpty && s.foreignRead.contains(id) { return nil }
            if let last = s.lastRead, last.id == id { return last.entry }
            guard s.touched.isEmpty || !s.touched.contains(id), let entry = s.staged[id] ?? s.published[id] else { return nil }
            s.lastRead = (id, entry)
            return entry
        }
        // Another node's account is read from the database at every use (issue 16).
        if let known, !cluster.isForeign(terminal: known.record.terminalID) { return known }
        return try refresh(id, in: db)
    }

    /// Reads the row again and lays what it has not received of the readings over it.
    @discardableResult
    func refresh(_ id: String, in db: SQLSession) throws -> Entry? {
        // Still `touched` until it is read: a row that fails to read is read again next time.
        // Whether an entry the book does not hold needs its replay is decided here, with
        // `current`: a load finishing between the two (it runs beside the writer) would otherwise
        // install the loaded entry and leave this read without the readings its row lacks,
        // replacing the loaded one at publish (a charge lost; seen once in the suite under load).
        let (current, wasForeign, replayIfUnknown) = state.withLock { s -> (Entry?, Bool, Bool) in
            (s.staged[id] ?? s.published[id], !s.foreignRead.isEmpty && s.foreignRead.contains(id),
             s.loading != nil || s.needReplay.contains(id))
        }
        guard let row = try SQLRow.fetchOne(db.cachedStatement(sql: Self.selectOne), arguments: [id]) else {
            if current != nil { stage(id, nil) }
            return nil
        }
        var fresh: Entry
        do {
            fresh = try Self.entry(row)
        } catch {
            // Named to the caller; the book lets go of the account until its row reads again.
            if current != nil { stage(id, nil) }
            state.withLock { s in
                s.touched.insert(id)
                s.lastRead = nil
                if current?.unfoldedReadings != nil { s.needReplay.insert(id) }
            }
            throw error
        }
        if cluster.isForeign(terminal: fresh.record.terminalID) {
            // Another node's account: its row with the readings the row lacks, as the database
            // has them now. Those readings are its owner's to fold, so the entry holds none.
            try replayTail(of: &fresh, in: db)
            fresh.unfolded = .zero
            fresh.unfoldedEnergy = .zero
            fresh.unfoldedReadings = nil
            stage(id, fresh)
            state.withLock { _ = $0.foreignRead.insert(id) }
            return fresh
        }
        if wasForeign {
            // This node's now: the readings its row lacks are its to fold from here on.
            try replayTail(of: &fresh, in: db)
            stage(id, fresh)
            state.withLock { _ = $0.foreignRead.remove(id) }
            return fresh
        }
        guard let current else {
            // New to the book (inserted since it loaded: nothing unfolded), or let go of: then
            // the readings its row lacks are read from disk; so for every account while the book
            // loads (its row may lack readings the load has not replayed onto it yet).
            // (Forgotten once the entry is published: a rollback before that replays again.)
            if replayIfUnknown { try replayTail(of: &fresh, in: db) }
            stage(id, fresh)
            return fresh
        }
        if let unfolded = current.unfoldedReadings, unfolded.upperBound > fresh.rowChargedThrough {
            fresh.unfolded = current.unfolded
            fresh.unfoldedReadings = unfolded
            fresh.unfoldedEnergy = current.unfoldedEnergy
            fresh.billed = fresh.billed.adding(current.unfoldedEnergy) ?? fresh.billed
            fresh.record.balance = fresh.record.balance.adding(current.unfolded) ?? fresh.record.balance
            fresh.record.lastReadingID = current.record.lastReadingID
            fresh.record.lastReadingAt = current.record.lastReadingAt
            fresh.record.tierYearStart = current.record.tierYearStart
            fresh.record.tierYearUsed = current.record.tierYearUsed
            fresh.baseline = current.baseline
        }
        stage(id, fresh)
        return fresh
    }

    /// Reads again every row changed under other writes (a write's end, before its savepoint is
    /// released, so that what it staged is undone with it). A row that cannot be read is not
    /// this write's failure: the book lets go of it, and its next use names the problem.
    func refreshTouched(in db: SQLSession) throws {
        let (touched, changed) = state.withLock { s in
            defer { s.changedByWrite.removeAll() }
            return (s.touched, s.changedByWrite)
        }
        for id in touched {
            do {
                try refresh(id, in: db)
            } catch let error as StoreError {
                guard case .undecodableRow = error else { throw error }
            } catch is BalanceOutOfBounds {
                continue
            }
        }
        // Other nodes' accounts: their owners hear of it when this write commits (the NOTIFY
        // goes with the commit, and rolls back with the write's savepoint).
        guard !changed.isEmpty else { return }
        let elsewhere = changed.filter { id in
            state.withLock { s in (s.staged[id] ?? s.published[id]).map { cluster.isForeign(terminal: $0.record.terminalID) } } ?? false
        }.sorted()
        for payload in ClusterChannel.payloads(elsewhere) { try db.notify(ClusterChannel.accounts, payload) }
    }

    /// Stages the account's new state for the round under way.
    func stage(_ id: String, _ entry: Entry?) {
        state.withLock { s in
            if !s.touched.isEmpty { s.touched.remove(id) }
            s.loading?.insert(id)
            let previous = s.staged.updateValue(entry, forKey: id)
            s.undo.append((id, previous))
            s.lastRead = entry.map { (id, $0) }
        }
    }

    /// A reading evaluated that became the account's baseline, with what it did.
    func stageReading(_ readingID: Int64, of id: String, reading: MeterReading, effect: StoreTransaction.ReadingEffect,
                      in db: SQLSession) throws {
        guard var entry = try entry(id, in: db) else { throw StoreError.unknownAccount(id) }
        try entry.take(readingID, reading: reading, effect: effect)
        stage(id, entry)
    }

    /// Where a savepoint begins: what it stages after this is undone if it rolls back.
    func mark() -> Int { state.withLock { $0.undo.count } }

    /// The savepoint begun at `mark` rolled back. The accounts it staged are read again at their
    /// next use: what it staged may have been a row read under another write it rolled back with.
    func rollBack(to mark: Int) {
        state.withLock { s in
            s.lastRead = nil
            while s.undo.count > mark, let (id, previous) = s.undo.popLast() {
                if let previous { s.staged[id] = previous } else { s.staged[id] = nil }
                s.touched.insert(id)
            }
        }
    }

    /// The round committed: what it staged is the book now.
    func publish() {
        state.withLock { s in
            s.lastRead = nil
            for (id, entry) in s.staged {
                let new = entry.map(AccountTally.Summary.init)
                let old = s.published.replace(id, with: entry)
                s.tally.move(from: old, to: new)
                if entry != nil, !s.needReplay.isEmpty { s.needReplay.remove(id) }
                if new?.unfoldedLower != old?.unfoldedLower || (old == nil) != (new == nil) { s.unfolded[id] = new?.unfoldedLower }
            }
            s.staged.removeAll(keepingCapacity: true)
            s.undo.removeAll(keepingCapacity: true)
        }
    }

    /// The round failed: nothing it staged happened.
    func discard() {
        state.withLock { s in
            s.lastRead = nil
            s.staged.removeAll(keepingCapacity: true)
            s.undo.removeAll(keepingCapacity: true)
        }
    }

    /// This node took the accounts' terminal over (issue 16): what the book holds of them may be
    /// older than what another node did since, so each is read again at its next use, with the
    /// readings its row lacks (those become this node's to fold).
    func adopt(_ ids: [String]) {
        state.withLock { s in
            s.foreignRead.formUnion(ids)
            s.lastRead = nil
        }
    }

    /// Another node changed these accounts' rows (a payment it took, an operator's change): read
    /// them again at their next use, laying this node's unfolded readings over the rows.
    public func changedElsewhere(_ ids: [String]) {
        state.withLock { s in
            for id in ids {
                s.loading?.insert(id)
                s.touched.insert(id)
            }
            s.lastRead = nil
        }
    }

    /// Called by the trigger for each account row another write inserted, changed or deleted.
    func rowChanged(_ id: String) {
        let clustered = cluster.isClustered
        state.withLock { s in
            s.loading?.insert(id)
            if clustered && !s.folding { s.changedByWrite.insert(id) }
            if !s.folding {
                s.touched.insert(id)
                s.lastRead = nil
            }
        }
    }

    // MARK: Readers

    /// The account as last committed, nil when the book does not know it or its row changed
    /// under a write outside the group commit (a bulk load): then the row is the one to read.
    public func published(_ id: String) -> AccountRecord? {
        let record = state.withLock { s in s.touched.contains(id) || s.foreignRead.contains(id) ? nil : s.published[id]?.record }
        // Another node's account: what this book has of it may be old; the row is the one to read.
        guard let record, !cluster.isForeign(terminal: record.terminalID) else { return nil }
        return record
    }

    /// Whether the book is still loading behind the station's start: until it has, the accounts
    /// it does not hold yet are read from their rows, and the totals from the tables.
    public var isLoading: Bool { state.withLock { $0.loading != nil } }

    /// Accounts, balances and billed energy by control state, of one region or all (nil when
    /// rows changed under writes outside the group commit, or the book is still loading: then
    /// the rows are the ones to read).
    public func totals(region: String?) -> [AccountControlState: (accounts: Int, balance: Int128, billedHundredths: Int128)]? {
        // A node of several knows only its own accounts: the rows are the ones to read.
        guard !cluster.isClustered else { return nil }
        return state.withLock { s in
            guard s.touched.isEmpty, s.loading == nil else { return nil }
            return s.tally.byState(region: region).mapValues { ($0.accounts, $0.balance, $0.billedHundredths) }
        }
    }

    /// Accounts at or below their alarm and trip thresholds, `defaults` standing for those
    /// without their own (counted anew, once, when the defaults change).
    public func atOrBelowThresholds(defaults: (alarm: Money, trip: Money)) -> (alarm: Int, trip: Int)? {
        guard !cluster.isClustered else { return nil }
        return state.withLock { s in
            guard s.touched.isEmpty, s.loading == nil else { return nil }
            if s.tally.defaults?.alarm != defaults.alarm || s.tally.defaults?.trip != defaults.trip {
                s.tally.recount(defaults: defaults, over: s.published)
            }
            return (s.tally.atOrBelowAlarm, s.tally.atOrBelowTrip)
        }
    }

    /// Accounts whose rows lack readings (`foldIntoRows` writes them).
    public var unfoldedAccounts: Int { state.withLock { $0.unfolded.count } }

    /// The published accounts whose rows lack readings, in key order (what a fold pass writes).
    func unfoldedIDs() -> [String] {
        state.withLock { Array($0.unfolded.keys) }.sorted()
    }

    /// Every published account, by id; nil when rows changed under writes outside the group
    /// commit, could not be read or are still loading: then the rows are the ones to read.
    func publishedRecords(accounts: Int) -> [AccountRecord]? {
        guard !cluster.isClustered else { return nil }
        let records = state.withLock { s -> [AccountRecord]? in
            guard s.touched.isEmpty, s.loading == nil, s.published.count == accounts else { return nil }
            return s.published.entries.map(\.record)
        }
        return records?.sorted { $0.id < $1.id }
    }
}
