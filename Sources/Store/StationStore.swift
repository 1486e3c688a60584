import Foundation
import GRDB
import GRDBSQLite

/// The station's durable state in one SQLite file (GRDB, WAL).
///
/// Durability, chosen deliberately:
/// - `journal_mode = WAL` so readers (API, stats) never block the writer.
/// - `synchronous = FULL`: every commit fsyncs the WAL before returning, so a payment answered
///   201 survives kill -9 *and* power loss. NORMAL would survive kill -9 only.
/// - The cost of an fsync per commit is paid per *transaction*, so every write goes through
///   `GroupCommit`: writes that arrive while a commit runs commit together in the next one, each
///   in its own savepoint (a payment, a command transition); the collector's readings come as
///   one large write per batch.
/// - `foreign_keys = ON`, and a busy timeout so a second process (chargectl against the file,
///   a future shard peer) waits instead of failing.
public struct StationStore: Sendable {
    /// SQLite (a `DatabasePool` in production; tests may pass a `DatabaseQueue`) or PostgreSQL.
    /// Not public: what is outside the Store asks it questions (its methods), so either engine
    /// can answer them; tests in this package may still reach it, to set up rows the Store would
    /// never write.
    package let writer: any StoreEngine
    /// Every write of the store goes through it (see `write`), but a bulk load's (`insertAccountsInBulk`).
    let group: GroupCommit
    /// Every account's state in memory, owned by the writer; nil for a read-only store.
    let book: AccountBook?
    /// The file a graceful stop writes the book to (`saveBookSnapshot`); nil without a file.
    let bookSnapshot: String?
    /// How the book was loaded; nil for a read-only store, and until a load behind the start
    /// (`loadBook`) finishes.
    public var bookLoad: BookLoad? { bookLoading?.outcome }
    /// The book's load: done when the store opened, or waiting for `loadBook`.
    let bookLoading: BookLoading?
    /// This daemon among the nodes of a PostgreSQL station (solo until it joins).
    public let cluster: ClusterMembership

    /// Opens (creating if needed) the database at `path` and migrates it.
    ///
    /// A file a newer binary migrated is refused (`NewerSchemaError`) before anything is written
    /// to it. `beforeMigrating` hears of the migrations about to run (not called when none are
    /// pending): the daemon tells systemd to extend its start timeout. `now` times the write
    /// health (`writeHealth`).
    ///
    /// `loadBookBehind`: the account book is not loaded here but by `loadBook`, while the store
    /// already serves (the daemon: READY=1 does not wait for a million accounts); until then an
    /// account the book does not hold yet is read from its row, with the readings it lacks.
    public static func open(path: String, now: @escaping @Sendable () -> Date = { Date() }, loadBookBehind: Bool = false,
                            beforeMigrating: (SchemaState) -> Void = { _ in }) throws -> StationStore {
        // Checked through a plain connection first: opening a pool writes to the file (GRDB makes
        // sure the WAL is not empty), and a newer schema must be refused untouched.
        if FileManager.default.fileExists(atPath: path) {
            let probe = try DatabaseQueue(path: path, configuration: configuration())
            defer { try? probe.close() }
            let schema = try Schema.check(probe)
            if !schema.pending.isEmpty { beforeMigrating(schema) }
        } else {
            beforeMigrating(SchemaState(applied: [], pending: Schema.migrator.migrations,
                                        latestKnown: Schema.migrator.migrations.last.map(SchemaState.version(of:)) ?? "v0"))
        }
        let pool = try DatabasePool(path: path, configuration: configuration())
        return try StationStore(engine: SQLiteEngine(pool), bookSnapshot: AccountBookSnapshot.path(forDatabase: path), loadBookBehind: loadBookBehind,
                                now: now)
    }

    /// Which engine holds the station.
    package var engine: SQLEngineKind { writer.kind }

    /// A private in-memory database, for tests and benchmarks.
    public static func inMemory() throws -> StationStore {
        try StationStore(engine: SQLiteEngine(DatabaseQueue(configuration: configuration())))
    }

    /// Opens an existing station file read-only and as it is (not migrated): a watcher beside a
    /// running daemon (in WAL mode its reads never block the daemon's writes); its writes fail.
    public static func openReadOnly(path: String) throws -> StationStore {
        var config = configuration()
        config.readonly = true
        return StationStore(unmigrated: SQLiteEngine(try DatabaseQueue(path: path, configuration: config)))
    }

    /// A store over `writer`, migrated.
    /// `bookSnapshot`: the file the book is written to at a graceful stop and read from at the
    /// next start (then removed: the database no longer names it). `loadBookBehind`: see `open`.
    package init(writer: any DatabaseWriter, bookSnapshot: String? = nil, loadBookBehind: Bool = false,
                 now: @escaping @Sendable () -> Date = { Date() }) throws {
        try self.init(engine: SQLiteEngine(writer), bookSnapshot: bookSnapshot, loadBookBehind: loadBookBehind, now: now)
    }

    /// A store over `engine`, migrated (SQLite by `Schema.migrator`, PostgreSQL by `PostgresMigrator`).
    package init(engine writer: any StoreEngine, bookSnapshot: String? = nil, loadBookBehind: Bool = false,
                 now: @escaping @Sendable () -> Date = { Date() }) throws {
        if let sqlite = writer.sqlite { try Schema.migrator.migrate(sqlite) }
        let cluster = ClusterMembership(now: now)
        let book = AccountBook(cluster: cluster)
        let started = ContinuousClock.now
        let source = try writer.write { db in
            try book.install(in: db)
            return try book.beginLoad(in: db, snapshot: bookSnapshot)
        }
        let loading = BookLoading(source)
        self.init(unmigrated: writer, book: book, bookSnapshot: bookSnapshot, bookLoading: loading, cluster: cluster, now: now)
        if !loadBookBehind {
            installLoaded(try writer.read { db in try AccountBook.readAccounts(source, in: db) }, since: started)
        }
    }

    /// A store over `writer` as it is (not migrated) and without an account book: a watcher's.
    package init(readOnly writer: any StoreEngine) {
        self.init(unmigrated: writer)
    }

    private init(unmigrated writer: any StoreEngine, book: AccountBook? = nil, bookSnapshot: String? = nil, bookLoading: BookLoading? = nil,
                 cluster: ClusterMembership? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.writer = writer
        self.cluster = cluster ?? ClusterMembership(now: now)
        self.book = book
        self.bookSnapshot = bookSnapshot
        self.bookLoading = bookLoading
        group = GroupCommit(writer: writer, book: book, now: now)
    }

    /// Loads the account book when the store was opened with `loadBookBehind` (once: later calls,
    /// and calls on a store that loaded it at open, return how it was loaded). The accounts are
    /// read on a reader connection while the writer goes on; what the writer changed meanwhile
    /// stays as the writer has it. A failure leaves the book loading (accounts read from their
    /// rows as they are used) and a later call tries again.
    @discardableResult
    public func loadBook() async throws -> BookLoad {
        guard book != nil, let bookLoading else { return BookLoad() }
        guard let source = bookLoading.take() else { return bookLoading.outcome ?? BookLoad() }
        let started = ContinuousClock.now
        let loaded: AccountBook.LoadedAccounts
        do {
            loaded = try await writer.read { db in try AccountBook.readAccounts(source, in: db) }
        } catch {
            bookLoading.giveBack(source)
            throw error
        }
        return installLoaded(loaded, since: started)
    }

    /// The book takes what a load read; the snapshot it may have read goes (the database no
    /// longer names it). Returns how the load went.
    @discardableResult
    private func installLoaded(_ loaded: AccountBook.LoadedAccounts, since started: ContinuousClock.Instant) -> BookLoad {
        book?.finishLoad(loaded)
        if let bookSnapshot { try? FileManager.default.removeItem(atPath: bookSnapshot) }
        return bookLoading?.finish(loaded.outcome, seconds: (ContinuousClock.now - started) / .seconds(1)) ?? loaded.outcome
    }

    /// Bytes SQLite holds in memory in this process, every connection together (`/metrics`).
    public static var sqliteMemoryBytes: Int { Int(sqlite3_memory_used()) }

    /// Whether the account book is still loading behind the start (`loadBook`).
    public var bookIsLoading: Bool { book?.isLoading ?? false }

    /// Writes the account book beside the database, for the next start to read instead of
    /// every account row (p6): a graceful stop's last write, once every reading is folded into
    /// its row (`foldWaitingAccountRows`). Refused, with the reason, when the book is not
    /// exactly the rows or the store has no file.
    public func saveBookSnapshot() async throws -> BookSnapshotOutcome {
        guard let book, let bookSnapshot else { return .refused("the store has no file beside it") }
        let started = ContinuousClock.now
        do {
            let saved = try await write(.bulk) { db in try book.saveSnapshot(to: bookSnapshot, in: db) }
            return .written(accounts: saved.accounts, bytes: saved.bytes, seconds: (ContinuousClock.now - started) / .seconds(1))
        } catch let refused as AccountBookSnapshot.Refused {
            return .refused(refused.description)
        }
    }

    /// Whether writes commit: the last commit, the last failure until a later commit, the round under way.
    public var writeHealth: StoreWriteHealth { group.health.current }

    /// Closes the file; the store cannot be used after.
    public func close() throws {
        try writer.close()
    }

    /// How long the commit rounds took since the store opened (`/metrics`).
    public var commitTimes: CommitTimes { group.commitTimes }

    /// Runs `body` as one write of the next group commit round; returns once it is committed.
    func write<T: Sendable>(_ lane: GroupCommit.Lane = .urgent, _ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        // The writer runs `body` in its own task: the caller's actor goes along with it.
        let actor = AuditActor.current
        return try await group.write(lane) { db in try AuditActor.$current.withValue(actor) { try body(db) } }
    }

    package static func configuration() -> Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            if !db.configuration.readonly {
                // The writer's page cache (SQLite's default is 2 MiB): a batch of readings touches
                // pages all over the account, reading and ledger trees, and with the default
                // cache they were written to the WAL and read back within one transaction. 32 MiB.
                try db.execute(sql: "PRAGMA cache_size = -32768")
                // Savepoint journals in memory: each write of a group commit runs in a savepoint,
                // and the pages a batch of readings first changes under it were saved to a temp
                // file past 64 KiB, one pwrite each: a fifth of the writer's time (issue 7, p2).
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
        }
        return config
    }

    /// The names of the migrations applied, oldest first.
    public func appliedMigrations() throws -> [String] {
        try writer.read { db in try Schema.appliedMigrations(db) }
    }
}

/// How the account book was loaded when the store opened.
public struct BookLoad: Sendable {
    /// Read from the snapshot the last graceful stop wrote, not decoded from the rows.
    public var fromSnapshot = false
    /// Why a snapshot file there was not read (nil: none was there, or it was read).
    public var snapshotRefused: String?
    public var accounts = 0
    /// Readings the rows lacked, replayed.
    public var replayed = 0
    public var seconds = 0.0
}

/// What `saveBookSnapshot` did.
public enum BookSnapshotOutcome: Sendable, Equatable {
    case written(accounts: Int, bytes: Int, seconds: Double)
    case refused(String)
}

/// UTC instants as stored: whole milliseconds since the Unix epoch.
public enum StoredInstant {
    public static func millis(_ date: Date) -> Int64 {
        let ms = (date.timeIntervalSince1970 * 1000).rounded(.down)
        // Clamp nonsense instants rather than trap on the conversion.
        guard ms > -9.2e18 else { return -9_200_000_000_000_000_000 }
        guard ms < 9.2e18 else { return 9_200_000_000_000_000_000 }
        return Int64(ms)
    }

    public static func date(_ millis: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(millis) / 1000)
    }
}
