import Foundation
import Store
import Systemd

/// One reason `/healthz` answers 503: a code for machines and a sentence for people.
public struct HealthProblem: Sendable, Hashable, Codable {
    /// The problems `/healthz` reports.
    public enum Code: String, Sendable, CaseIterable, Codable {
        /// The collector's loop has not beaten within the watchdog's freshness.
        case collectionStalled = "collection_stalled"
        /// The dispatcher's loop has not beaten within the watchdog's freshness.
        case dispatchStalled = "dispatch_stalled"
        /// The last write failed (read-only file or folder, full disk, I/O error, lock held
        /// elsewhere); shown until a later write commits.
        case storeUnwritable = "store_unwritable"
        /// A write has been committing for longer than the watchdog's freshness.
        case storeStalled = "store_stalled"
    }

    public let code: Code
    public let detail: String
}

/// Whether the station makes progress, for `/healthz`: the watchdog's own signals (the
/// collector's and dispatcher's heartbeats judged by the same `WatchdogGate`) and the store's
/// write health. Pure: the caller gives the signals and the instant.
///
/// Collection with no terminals or accounts is no problem: the collector's loop beats anyway.
public struct HealthCheck: Sendable {
    public let gate: WatchdogGate

    public init(gate: WatchdogGate) { self.gate = gate }

    /// The problems at `now`; none means healthy.
    public func problems(collectorHeartbeat: Date?, dispatcherHeartbeat: Date?, store: StoreWriteHealth,
                         at now: Date) -> [HealthProblem] {
        var problems: [HealthProblem] = []
        if !gate.isFresh(collectorHeartbeat, at: now) {
            problems.append(HealthProblem(code: .collectionStalled, detail: "the collector " + silence(collectorHeartbeat, now)))
        }
        if !gate.isFresh(dispatcherHeartbeat, at: now) {
            problems.append(HealthProblem(code: .dispatchStalled, detail: "the dispatcher " + silence(dispatcherHeartbeat, now)))
        }
        if let failure = store.failure {
            let since = store.lastCommit.map { "; last commit \(Self.seconds(now.timeIntervalSince($0))) s ago" } ?? "; no commit since start"
            problems.append(HealthProblem(
                code: .storeUnwritable,
                detail: "the last write failed \(Self.seconds(now.timeIntervalSince(failure.at))) s ago: \(failure.detail)\(since)"))
        }
        if let started = store.roundStarted, now.timeIntervalSince(started) >= gate.freshness {
            problems.append(HealthProblem(code: .storeStalled,
                                          detail: "a write has been committing for \(Self.seconds(now.timeIntervalSince(started))) s"))
        }
        return problems
    }

    private func silence(_ heartbeat: Date?, _ now: Date) -> String {
        guard let heartbeat else { return "has not run since start (\(Self.seconds(now.timeIntervalSince(gate.startedAt))) s ago)" }
        return "last showed progress \(Self.seconds(now.timeIntervalSince(heartbeat))) s ago"
    }

    private static func seconds(_ interval: TimeInterval) -> Int { Int(max(0, interval).rounded(.down)) }
}
