import Store
import Dispatch
import Foundation
import StationConfig
import GRDB
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// PostgreSQL as the store's engine (issue 16): one writer connection, driven from a serial
/// queue of its own as GRDB drives SQLite's writer, and a few reader connections. Each
/// transaction's statements are sent and waited for one after another, from threads that are
/// not NIO's event loops. A connection the server dropped is opened again at the next
/// transaction.
package final class PostgresEngine: StoreEngine {
    package let location: PostgresLocation
    private let logger: Logger
    private let writerQueue = DispatchQueue(label: "chargecontrol.postgres.writer")
    /// Used on `writerQueue` only.
    private let writer: Mutex<PostgresSession?>
    private let readers: Mutex<[PostgresSession]>
    /// Readers not in use; a read waits for one.
    private let readerSlots: DispatchSemaphore
    private let closed = Atomic<Bool>(false)

    /// How many reads run at once.
    package static let readerCount = 4

    private init(location: PostgresLocation, logger: Logger, writer: PostgresSession) {
        self.location = location
        self.logger = logger
        self.writer = Mutex(writer)
        readers = Mutex([])
        readerSlots = DispatchSemaphore(value: Self.readerCount)
    }

    /// Connects, brings the schema to this binary's (`PostgresMigrator`, one node at a time;
    /// not when `migrate` is false: a watcher), and returns the engine. `beforeMigrating` hears
    /// of the migrations about to run.
    package static func open(_ location: PostgresLocation, migrate: Bool = true, logger: Logger = Logger(label: "chargecontrol.postgres"),
                             beforeMigrating: (SchemaState) -> Void = { _ in }) async throws -> PostgresEngine {
        let connection = try await PostgresConnection.connect(configuration: location.connectionConfiguration(), id: 0, logger: logger)
        if migrate { do {
            let state = try await PostgresMigrator.migrate(connection, logger: logger)
            if !state.pending.isEmpty { beforeMigrating(state) }
        } catch {
            try? await connection.close()
            throw error
        } }
        return PostgresEngine(location: location, logger: logger, writer: PostgresSession(connection: connection, logger: logger))
    }

    package var kind: SQLEngineKind { .postgres }
    package var sqlite: (any DatabaseWriter)? { nil }

    private func connect(id: Int) throws -> PostgresSession {
        guard !closed.load(ordering: .relaxed) else { throw PostgresStoreError(message: "the store is closed", sqlState: nil, sql: "") }
        do {
            let connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                                            configuration: location.connectionConfiguration(),
                                                            id: id, logger: logger).wait()
            return PostgresSession(connection: connection, logger: logger)
        } catch {
            // SQLSTATE class 08: the store's health counts it as the storage refusing writes.
            throw PostgresStoreError(message: "cannot connect to PostgreSQL at \(location): \(String(describing: error))", sqlState: "08000",
                                     sql: "")
        }
    }

    /// Runs `body` in a transaction on `session`: committed when it returns, rolled back when it throws.
    private static func transaction<T>(_ session: PostgresSession, begin: String, _ body: (SQLSession) throws -> T) throws -> T {
        try session.execute(begin, [])
        let value: T
        do {
            value = try body(SQLSession(session))
        } catch {
            if !session.connection.isClosed { try? session.execute("ROLLBACK", []) }
            session.inTransaction = false
            throw error
        }
        try session.execute("COMMIT", [])
        return value
    }

    /// On `writerQueue`.
    private func writeOnQueue<T>(_ body: (SQLSession) throws -> T) throws -> T {
        let session = try writer.withLock { current -> PostgresSession in
            if let current, current.usable { return current }
            current?.discard()
            let session = try connect(id: 0)
            // What the account book asked of the old connection, asked again.
            if let watch = current?.accountRowsChanged { try session.watchAccountRows(watch) }
            current = session
            return session
        }
        return try Self.transaction(session, begin: "BEGIN", body)
    }

    package func write<T>(_ body: (SQLSession) throws -> T) throws -> T {
        try writerQueue.sync { try writeOnQueue(body) }
    }

    package func write<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writerQueue.async { continuation.resume(with: Result { try self.writeOnQueue(body) }) }
        }
    }

    package func asyncWrite<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T,
                                        completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        writerQueue.async { completion(Result { try self.writeOnQueue(body) }) }
    }

    package func read<T>(_ body: (SQLSession) throws -> T) throws -> T {
        readerSlots.wait()
        defer { readerSlots.signal() }
        var session = readers.withLock { $0.popLast() }
        if let taken = session, !taken.usable {
            taken.discard()
            session = nil
        }
        if session == nil { session = try connect(id: 1) }
        guard let session else { throw PostgresStoreError(message: "no reader connection", sqlState: nil, sql: "") }
        // A connection that broke under this read is not given back.
        defer { if session.usable { readers.withLock { $0.append(session) } } else { session.discard() } }
        // One snapshot for the whole read, as SQLite's WAL readers have.
        return try Self.transaction(session, begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    package func read<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try self.read(body) }) }
        }
    }

    /// A store dropped without `close` (a test's) gives its connections back to the server.
    deinit {
        guard !closed.load(ordering: .relaxed) else { return }
        let sessions = (writer.withLock { $0.map { [$0] } ?? [] }) + readers.withLock { $0 }
        for session in sessions { session.discard() }
    }

    package func close() throws {
        closed.store(true, ordering: .relaxed)
        let sessions = writerQueue.sync { writer.withLock { $0.map { [$0] } ?? [] } } + readers.withLock { $0 }
        for session in sessions { try? session.connection.close().wait() }
    }
}
