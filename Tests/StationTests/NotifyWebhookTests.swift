import ChargeControl
import DLT645NIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Store
import Synchronization
import Testing
@testable import Station

/// A webhook receiver: records every request and answers from a script (200 once it runs out).
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        let idempotencyKey: String?
        let contentType: String?
        let body: String
        let status: Int
    }

    private let state: Mutex<(script: [Int], received: [Received])>

    init(script: [Int] = []) { state = Mutex((script, [])) }

    var received: [Received] { state.withLock { $0.received } }
    /// The requests answered 2xx.
    var accepted: [Received] { received.filter { (200..<300).contains($0.status) } }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 16))
            let key = request.headers.first { $0.name.canonicalName == "idempotency-key" }?.value
            let status = self.state.withLock { s -> Int in
                let status = s.script.isEmpty ? 200 : s.script.removeFirst()
                s.received.append(Received(idempotencyKey: key, contentType: request.headers[.contentType], body: body, status: status))
                return status
            }
            return Response(status: HTTPResponse.Status(code: status))
        }
        return router
    }

    /// Runs a real server on 127.0.0.1 (port chosen by the system) for `body`, which gets its URL.
    func serve(_ body: @escaping @Sendable (URL) async throws -> Void) async throws {
        let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                              logger: notifyLogger())
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(try #require(URL(string: "http://127.0.0.1:\(port)/hook")))
        }
    }
}

@Suite("Notifications over HTTP: a real webhook on 127.0.0.1")
struct NotifyWebhookTests {
    func delivery(_ store: StationStore, _ url: URL, clock: any StationClock = SystemStationClock(),
                  policy: NotificationRetryPolicy = NotificationRetryPolicy()) -> NotificationDelivery {
        NotificationDelivery(store: store, url: url, clock: clock, logger: notifyLogger(),
                             sender: URLSessionWebhookSender(timeout: .seconds(5)), policy: policy, pollInterval: .milliseconds(20))
    }

    @Test func evaluationEventsReachTheWebhookOnceEachWithTheirKey() async throws {
        let store = try await storeWithAccount(opening: "30.00")
        let evaluator = Evaluator(rules: try rules())
        let alarmed = MeterState(relay: .closed, alarm: true)
        let steps: [(String, String, MeterState?)] = [("2026-11-23T10:00:00+08:00", "100.00", nil),
                                                      ("2026-11-23T12:00:00+08:00", "120.00", nil),
                                                      ("2026-11-23T16:00:00+08:00", "161.00", alarmed)]
        for (at, total, meter) in steps {
            let r = reading(at, total: total)
            _ = try await store.transaction { tx in
                try evaluator.apply(reading: r, meter: meter, account: "A1", at: r.collectedAt, in: tx)
            }
        }
        let written = try await store.notifications()
        #expect(written.map(\.event) == ["low_balance", "alarm", "low_balance", "trip"])
        let receiver = WebhookReceiver()
        try await receiver.serve { url in
            // Time stands after the events; `wake()` looks at the outbox when the restore is written.
            let service = delivery(store, url, clock: ManualStationClock(instant("2026-11-24T00:00:00+08:00")))
            try await whileDelivering(service) {
                try await eventually("all delivered", within: .seconds(30)) { try await store.outboxCounts().undelivered == 0 }
                // A later event goes too, and nothing before it again.
                let paid = instant("2026-11-23T17:00:00+08:00")
                _ = try await store.transaction { tx in
                    // The trip was carried out: the relay is open.
                    try tx.setControlState(account: "A1", state: .tripped, meter: MeterState(relay: .open, alarm: true), at: paid)
                    _ = try tx.recordPayment(PaymentRequest(orderNo: "P1", accountID: "A1", amount: yuan("50.00"), channel: .counter,
                                                            paidAt: paid), receivedAt: paid)
                    return try evaluator.reevaluate(account: "A1", at: paid, in: tx)
                }
                service.wake()
                try await eventually("restore delivered", within: .seconds(30)) {
                    let counts = try await store.outboxCounts()
                    return counts.undelivered == 0 && counts.delivered == 5
                }
            }
        }
        let all = try await store.notifications()
        let received = receiver.received
        #expect(received.map(\.idempotencyKey) == all.map(\.eventKey))
        #expect(all.last?.event == "restore")
        #expect(received.map(\.body) == all.map(\.payload))
        #expect(received.allSatisfy { $0.contentType == "application/json" })
        for r in received {
            let payload = try JSONDecoder().decode(NotificationPayload.self, from: Data(r.body.utf8))
            #expect(payload.eventKey == r.idempotencyKey)
        }
    }

    @Test func serverErrorsAreRetriedWithTheSameKey() async throws {
        let store = try StationStore.inMemory()
        // The real clock here: the row is due now.
        try await addNotification(store, key: "trip:7", at: SystemStationClock().now)
        let receiver = WebhookReceiver(script: [500, 503])
        let fast = NotificationRetryPolicy(backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(40), jitter: 0))
        try await receiver.serve { url in
            try await whileDelivering(delivery(store, url, policy: fast)) {
                try await eventually("delivered", within: .seconds(30)) { try await store.outboxCounts().delivered == 1 }
            }
        }
        #expect(receiver.received.map(\.status) == [500, 503, 200])
        #expect(receiver.received.map(\.idempotencyKey) == ["trip:7", "trip:7", "trip:7"])
        #expect(receiver.accepted.count == 1)
        #expect(try await store.notifications().first?.attempts == 2)
    }

    @Test func anUnreachableWebhookKeepsTheNotification() async throws {
        // A port that just had a server on it, now closed.
        let closed = Mutex<URL?>(nil)
        try await WebhookReceiver().serve { url in closed.withLock { $0 = url } }
        let url = try #require(closed.withLock { $0 })
        let store = try StationStore.inMemory()
        let start = instant("2026-11-23T10:00:00+08:00")
        let clock = ManualStationClock(start)
        try await addNotification(store, key: "alarm:1", at: start)
        try await whileDelivering(delivery(store, url, clock: clock)) {
            try await eventually("failed once", within: .seconds(30)) { try await store.notifications().first?.attempts == 1 }
        }
        let row = try #require(try await store.notifications().first)
        #expect(row.deliveredAt == nil && row.lastError != nil)
        #expect(row.nextAttemptAt > start)
        #expect(try await store.dueNotifications(at: row.nextAttemptAt).map(\.eventKey) == ["alarm:1"])
    }
}
