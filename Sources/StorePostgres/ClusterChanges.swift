import Foundation
import Logging
import PostgresNIO
import StationConfig
import Store

/// What the nodes of a PostgreSQL station tell each other (issue 16): the accounts one node's
/// write changed that another node owns, by `NOTIFY` on `ClusterChannel.accounts` (sent with
/// the write's commit), so the owner reads them again before it acts on them, and sends the
/// commands the write queued without waiting for its next look at the queue.
public enum ClusterChanges {
    /// What the listener hears.
    public enum Event: Sendable, Hashable {
        /// Accounts another node's committed write changed.
        case accounts([String])
        /// The listening connection was (re)opened: notifications sent while it was down are lost,
        /// so everything this node owns is to be read again.
        case listening
    }

    /// Listens on its own connection until cancelled, opening it again a second after a loss.
    public static func listen(_ location: PostgresLocation, logger: Logger) -> AsyncStream<Event> {
        AsyncStream { continuation in
            let task = Task {
                var attempt = 0
                while !Task.isCancelled {
                    do {
                        let connection = try await PostgresConnection.connect(configuration: location.connectionConfiguration(),
                                                                              id: 900 + attempt, logger: logger)
                        defer { Task { try? await connection.close() } }
                        try await connection.listen(on: ClusterChannel.accounts) { notifications in
                            continuation.yield(.listening)
                            for try await notification in notifications {
                                let ids = notification.payload.split(separator: ClusterChannel.separator).map(String.init)
                                if !ids.isEmpty { continuation.yield(.accounts(ids)) }
                            }
                        }
                    } catch {
                        if Task.isCancelled { break }
                        logger.warning("cluster notifications lost; listening again in 1 s", metadata: ["error": "\(error)"])
                    }
                    attempt += 1
                    try? await Task.sleep(for: .seconds(1))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
