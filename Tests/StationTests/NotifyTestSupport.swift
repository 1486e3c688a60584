import Foundation
import Logging
import Store
import Synchronization
import Testing
@testable import Station

/// A webhook sender that answers from a script (a status, or nil for "no answer") and records
/// each request with the clock's instant.
final class ScriptedWebhookSender: WebhookSender {
    struct Call: Sendable {
        let key: String
        let at: Date
    }

    private let clock: any StationClock
    private let state: Mutex<(script: [Int?], fallback: Int?, calls: [Call])>

    /// `script` answers the first calls in order; `fallback` answers the rest.
    init(clock: any StationClock, script: [Int?], fallback: Int? = 200) {
        self.clock = clock
        state = Mutex((script, fallback, []))
    }

    var calls: [Call] { state.withLock { $0.calls } }

    func post(_ request: WebhookRequest) async throws -> Int {
        let now = clock.now
        let answer = state.withLock { s -> Int? in
            s.calls.append(Call(key: request.idempotencyKey, at: now))
            return s.script.isEmpty ? s.fallback : s.script.removeFirst()
        }
        guard let answer else { throw WebhookTransportError("connection refused (scripted)") }
        return answer
    }
}

/// A quiet logger for the delivery service.
func notifyLogger() -> Logger {
    var logger = Logger(label: "notify-test")
    logger.logLevel = .critical
    return logger
}

/// Writes a notification row as the evaluation would.
func addNotification(_ store: StationStore, key: String, account: String = "A1", at: Date) async throws {
    _ = try await store.transaction { tx in
        try tx.addToOutbox(OutboxEntry(eventKey: key, event: "alarm", accountID: account, payload: "{\"event_key\":\"\(key)\"}"),
                           at: at)
    }
}

/// Runs `delivery` for the duration of `body`, then cancels it.
func whileDelivering(_ delivery: NotificationDelivery, _ body: () async throws -> Void) async throws {
    let task = Task { await delivery.run() }
    defer { task.cancel() }
    try await body()
    task.cancel()
    await task.value
}
