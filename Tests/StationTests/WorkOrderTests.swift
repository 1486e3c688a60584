import ChargeControl
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import StationConfig
import Tariffs
import Store
import Testing
@testable import Station

/// Job review as work orders (issue 14 item 4): due time per kind fixed at opening, assignee,
/// ageing, `review_overdue` raised once per item (durably), and the on-time ratio in
/// `/v1/stats` and `/metrics`.
@Suite struct WorkOrderTests {
    /// Opens an abnormal-reading item on `account` (register run backwards) at the clock's now.
    func openReadingItem(_ fixture: APIFixture, account: String) async throws -> Int64 {
        let evaluator = fixture.core.evaluator
        let start = fixture.clock.now
        for (offset, total) in [(0.0, "100.00"), (60.0, "50.00")] {
            let at = start.addingTimeInterval(offset)
            _ = try await fixture.store.transaction { tx in
                try evaluator.apply(reading: MeterReading(collectedAt: at, total: kWh(total),
                                                          registers: PerRegister(sharp: .zero, peak: .zero, flat: kWh(total), valley: .zero)),
                                    meter: nil, account: account, at: at, in: tx)
            }
        }
        return try #require(try await fixture.store.openReviewItems().first { $0.accountID == account && $0.kind == .reading }).id
    }

    func addAccount(_ fixture: APIFixture, _ id: String, meter: String) async throws {
        _ = try await fixture.core.upsertAccount(AccountProvisioning(accountID: id, meterAddress: meter, terminalID: "T1", tariff: "flat-test",
                                                                     region: "north", openingBalance: yuan("10.00")))
    }

    @Test func dueTimesAssigneesOverdueOnceAndTheOnTimeRatio() async throws {
        let logs = LogRecorder()
        let fixture = try await APIFixture.make(logs: logs)
        try await fixture.store.setReviewDueTimes(ReviewDueTimes(ReviewSettings(commandDue: .seconds(3600), readingDue: .seconds(7200))))
        try await addAccount(fixture, "A2", meter: "000000000002")
        try await addAccount(fixture, "A3", meter: "000000000003")
        let opened = fixture.clock.now
        let late = try await openReadingItem(fixture, account: "A1")
        let overdueStill = try await openReadingItem(fixture, account: "A2")
        let first = try await fixture.store.reviewItem(late)
        // Opened by the second reading, a minute after `opened`: due two hours (reading_due) later.
        #expect(first.dueAt == first.openedAt.addingTimeInterval(7200))
        #expect(first.openedAt == opened.addingTimeInterval(60))

        let router = APIServer.buildRouter(core: fixture.core, tokens: NamedToken.tokens, settings: fixture.settings)
        let watch = WorkOrderWatch(store: fixture.store, clock: fixture.clock, logger: logs.logger("work-orders"))
        try await Application(router: router).test(.router) { client in
            // Assign: named, audited with the operator who did it.
            let assigned = try await client.call(.post, "/v1/review/\(late)/assign", token: NamedToken.alice, body: #"{"assignee": "bob"}"#)
            #expect(assigned.status == .ok, "\(assigned.text)")
            #expect(assigned.json["assignee"] as? String == "bob")
            #expect(assigned.json["due_at"] as? String == "2026-11-23T12:01:00+08:00")
            #expect(assigned.json["overdue"] as? Bool == false)
            let missing = try await client.call(.post, "/v1/review/\(late)/assign", token: NamedToken.alice, body: "{}")
            #expect(missing.status == .badRequest && missing.error.contains("assignee"), "\(missing.text)")
            let empty = try await client.call(.post, "/v1/review/\(late)/assign", token: NamedToken.alice, body: #"{"assignee": " "}"#)
            #expect(empty.status == .badRequest && empty.error.contains("assignee"), "\(empty.text)")
            let unknown = try await client.call(.post, "/v1/review/999/assign", token: NamedToken.alice, body: #"{"assignee": "bob"}"#)
            #expect(unknown.status == .notFound, "\(unknown.text)")
            let viewer = try await client.call(.post, "/v1/review/\(late)/assign", token: NamedToken.dash, body: #"{"assignee": "bob"}"#)
            #expect(viewer.status == .forbidden)
            let audit = try await client.call(.get, "/v1/audit?account_id=A1&limit=5", token: NamedToken.dash)
            let row = (audit.json["items"] as? [[String: any Sendable]])?.first
            #expect(row?["actor"] as? String == "alice" && (row?["detail"] as? String ?? "").contains("assigned to bob"), "\(audit.text)")

            // Nothing is due yet.
            #expect(await watch.raiseOverdue() == 0)
            // Three hours on: both are past due; raised once each, and never again.
            fixture.clock.advance(by: 3 * 3600)
            #expect(await watch.raiseOverdue() == 2)
            #expect(await watch.raiseOverdue() == 0)
            #expect(await WorkOrderWatch(store: fixture.store, clock: fixture.clock, logger: Logger(label: "restarted")).raiseOverdue() == 0)
            let raised = logs.events("review_overdue")
            #expect(Set(raised.compactMap { $0.metadata["review_item"] }) == ["\(late)", "\(overdueStill)"] && raised.count == 2)
            #expect(raised.first { $0.metadata["review_item"] == "\(late)" }?.metadata["assignee"] == "bob")
            let list = try await client.call(.get, "/v1/review", token: NamedToken.dash)
            let view = list.list.first { ($0["id"] as? Int).map(Int64.init) == late }
            #expect(view?["overdue"] as? Bool == true)
            #expect(view?["age_seconds"] as? Int == 3 * 3600 - 60)

            // Closed late (A1), and one opened and closed at once (A3): one of two on time.
            _ = try await fixture.core.act(onReview: late, .resolve, resolution: .meterReplaced, note: "meter swapped", deadline: .seconds(60))
            let onTime = try await openReadingItem(fixture, account: "A3")
            fixture.clock.advance(by: 600)
            _ = try await fixture.core.act(onReview: onTime, .cancel, note: "meter re-read", deadline: .seconds(60))
            let closedAssign = try await client.call(.post, "/v1/review/\(late)/assign", token: NamedToken.alice, body: #"{"assignee": null}"#)
            #expect(closedAssign.status == .conflict, "\(closedAssign.text)")

            let stats = try await client.call(.get, "/v1/stats", token: NamedToken.dash)
            #expect(stats.json["review_on_time_ratio"] as? Double == 0.5, "\(stats.text)")
            #expect(stats.json["review_closed_30d"] as? Int == 2)
            #expect(stats.json["review_overdue"] as? Int == 1)
            let scrape = ParsedScrape(try await StationMetrics(core: fixture.core).scrape())
            #expect(scrape.value("chargecontrol_review_on_time_ratio") == 0.5)
            #expect(scrape.value("chargecontrol_review_items_overdue") == 1)

            // 31 days on, the two closed items leave the window: no ratio rather than a made-up one.
            fixture.clock.advance(by: 31 * 86_400)
            let later = try await client.call(.get, "/v1/stats", token: NamedToken.dash)
            #expect(later.json.keys.contains("review_on_time_ratio") && later.json["review_on_time_ratio"] is NSNull, "\(later.text)")
        }
        try? FileManager.default.removeItem(at: fixture.folder)
    }

    @Test(.enabled(if: APIChargeCtlTests.binary != nil, "chargectl is not built (run swift build --build-tests)"))
    func chargectlAssignsAndListsAssignees() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let item = try await openReadingItem(fixture, account: "A1")
        try await fixture.serving { url in
            func run(_ arguments: [String]) async throws -> APIChargeCtlTests.Run {
                try await APIChargeCtlTests.chargectl(["review"] + arguments, url: url, token: TestToken.operator)
            }
            let neither = try await run(["assign", "\(item)"])
            #expect(neither.status == 2 && neither.err.contains("--nobody"), "\(neither)")
            let assigned = try await run(["assign", "\(item)", "carol"])
            #expect(assigned.status == 0 && assigned.out.contains("assigned to carol, due 2026-11-24T10:01:00+08:00"), "\(assigned)")
            let listed = try await run(["list"])
            #expect(listed.status == 0 && listed.out.contains("carol") && listed.out.contains("assignee"), "\(listed)")
            let cleared = try await run(["assign", "\(item)", "--nobody"])
            #expect(cleared.status == 0 && cleared.out.contains("assigned to nobody"), "\(cleared)")
        }
        #expect(try await fixture.store.reviewItem(item).assignee == nil)
    }

    @Test func dueTimesApplyToItemsOpenedAfterTheChange() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        // Default: 24 h.
        let first = try await fixture.store.reviewItem(try await openReadingItem(fixture, account: "A1"))
        #expect(first.dueAt == first.openedAt.addingTimeInterval(86_400))
        try await fixture.store.setReviewDueTimes(ReviewDueTimes(ReviewSettings(commandDue: .seconds(60), readingDue: .seconds(900))))
        #expect(try await fixture.store.reviewItem(first.id).dueAt == first.dueAt)
        try await addAccount(fixture, "A2", meter: "000000000002")
        let second = try await fixture.store.reviewItem(try await openReadingItem(fixture, account: "A2"))
        #expect(second.dueAt == second.openedAt.addingTimeInterval(900))
    }

    @Test func reviewSectionIsParsedAndCheckedPerKind() throws {
        let both = try StationConfiguration.parse("[review]\ndue = \"8h\"\ncommand_due = \"2h\"\n", file: "/tmp/t.toml")
        #expect(both.review == ReviewSettings(commandDue: .seconds(7200), readingDue: .seconds(28_800)))
        #expect(try StationConfiguration.parse("", file: "/tmp/t.toml").review == ReviewSettings())
        #expect(ReviewDueTimes(ReviewSettings(commandDue: .milliseconds(10), readingDue: .seconds(5))).seconds == [.command: 1, .reading: 5])
        do {
            _ = try StationConfiguration.parse("[review]\nreading_due = \"soon\"\ndue_comand = \"1h\"\ncommand_due = \"400d\"\n",
                                               file: "/tmp/t.toml")
            Issue.record("a bad [review] section was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("review.reading_due") && text.contains("review.due_comand"), "\(text)")
            #expect(text.contains("review.command_due") && text.contains("at most"), "\(text)")
        }
    }
}
