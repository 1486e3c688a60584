import Foundation
import Logging
import ServiceLifecycle
import StationConfig
import Store

extension ReviewDueTimes {
    /// `[review]`'s due times per kind, to the second (at least one).
    public init(_ settings: ReviewSettings) {
        func seconds(_ d: Duration) -> Int64 { max(1, d.components.seconds) }
        self.init(seconds: [.command: seconds(settings.commandDue), .reading: seconds(settings.readingDue)])
    }
}

/// Job review as work orders: looks every `period` for open items past their due time and
/// raises `EVENT=review_overdue` (journal and audit) once per item. The mark is in the store,
/// so a restart does not raise it again; an item found late (the daemon was down) is raised
/// when found.
public struct WorkOrderWatch: Service {
    let store: StationStore
    let clock: any StationClock
    let logger: Logger
    let period: Duration
    /// Items marked per write.
    static let batch = 500

    public init(store: StationStore, clock: any StationClock, logger: Logger, period: Duration = .seconds(60)) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.period = period
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await raiseOverdue()
                do { try await clock.sleep(until: clock.now.adding(period)) } catch { return }
            }
        }
    }

    /// One look: every item now overdue and not yet raised, journaled. Returns how many.
    @discardableResult
    public func raiseOverdue() async -> Int {
        var raised = 0
        do {
            // Batches, so a backlog (a long outage) is raised without one long write.
            while true {
                let items = try await store.markOverdueReviewItems(at: clock.now, limit: Self.batch)
                for item in items { journal(item) }
                raised += items.count
                if items.count < Self.batch { break }
            }
        } catch {
            logger.error("cannot look for overdue review items: \(error)", metadata: ["event": "review_overdue"])
        }
        return raised
    }

    private func journal(_ item: ReviewItem) {
        logger.warning("review item \(item.id) (\(item.kind.rawValue)) is past its due time", metadata: [
            "event": "review_overdue", "review_item": "\(item.id)", "kind": "\(item.kind.rawValue)",
            "account": "\(item.accountID)", "meter": "\(item.meterAddress)",
            "due_at": "\(item.dueAt.formatted(.iso8601))", "assignee": "\(item.assignee ?? "")",
        ])
    }
}
