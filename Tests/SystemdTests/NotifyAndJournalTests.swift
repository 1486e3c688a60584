import Foundation
import Logging
import Synchronization
import Testing
@testable import Systemd

#if canImport(Glibc)
import Glibc
#endif

/// These tests touch process-wide state (NOTIFY_SOCKET, the journal socket), so they run one at a time.
@Suite("sd_notify and the journal, for real", .serialized)
struct NotifyAndJournalTests {
    @Test func notifyMessagesReachTheSocket() async throws {
        let socket = try NotifySocket()
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }

        let notifier = ServiceNotifier()
        #expect(notifier.ready())
        #expect(notifier.status("12 accounts\n3 pending"))
        #expect(notifier.watchdog())
        #expect(notifier.stopping())
        let received = await socket.messages(4)
        #expect(received == ["READY=1", "STATUS=12 accounts 3 pending", "WATCHDOG=1", "STOPPING=1"])
    }

    /// The scheduler stalls on purpose (its heartbeat freezes): the pings stop while STATUS goes
    /// on, and come back when it beats again.
    @Test func watchdogPingsStopWhileALoopIsStalled() async throws {
        let socket = try NotifySocket()
        setenv("NOTIFY_SOCKET", socket.path, 1)
        setenv("WATCHDOG_USEC", "200000", 1)  // a ping every 100 ms
        defer { unsetenv("NOTIFY_SOCKET"); unsetenv("WATCHDOG_USEC") }
        let stalled = Flag()
        let service = WatchdogService(
            notifier: ServiceNotifier(), logger: Logger(label: "watchdog-test"), freshness: 30,
            heartbeats: { [Date(), stalled.isSet ? Date().addingTimeInterval(-60) : Date()] },
            isReady: { true }, status: { "test" })
        let task = Task { await service.run() }

        var pings = 0
        while pings < 2, let m = await socket.receive() { if m == "WATCHDOG=1" { pings += 1 } }
        #expect(pings == 2)

        stalled.set()
        // Drop what is queued, and let the period under way finish (its STATUS line), then watch
        // three periods. (Skipping a fixed two STATUS lines failed when this task ran late and
        // more periods from before the stall were still queued.)
        socket.drain()
        while let m = await socket.receive(), !m.hasPrefix("STATUS=") {}
        let watched = await socket.messages(3)
        #expect(watched == ["STATUS=test", "STATUS=test", "STATUS=test"])

        stalled.clear()
        var resumed = false
        for _ in 0..<10 where !resumed { resumed = await socket.receive() == "WATCHDOG=1" }
        #expect(resumed)
        // Stopped before the next test points NOTIFY_SOCKET elsewhere: cancelled but not awaited,
        // the service ran on late on a loaded machine and its last STATUS line reached that
        // test's socket.
        task.cancel()
        await task.value
    }

    /// Nobody reads the socket (its queue holds ten datagrams): the calls still return, so no
    /// task of the daemon waits on systemd, and the messages follow in order once it reads.
    @Test func anUnreadSocketDoesNotBlockTheCaller() async throws {
        let socket = try NotifySocket()
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let notifier = ServiceNotifier()
        let sent = await Task { (0..<50).map { notifier.status("line \($0)") }.allSatisfy { $0 } }.value
        #expect(sent)
        #expect(notifier.stopping())
        let received = await socket.messages(51)
        #expect(received == (0..<50).map { "STATUS=line \($0)" } + ["STOPPING=1"])
    }

    @Test func withoutNotifySocketNothingIsSent() {
        unsetenv("NOTIFY_SOCKET")
        #expect(!ServiceNotifier().ready())
        #expect(ServiceNotifier().watchdogTimeout == nil)
    }

    @Test func watchdogTimeoutFromEnvironment() {
        setenv("WATCHDOG_USEC", "4000000", 1)
        setenv("WATCHDOG_PID", String(getpid()), 1)
        defer { unsetenv("WATCHDOG_USEC"); unsetenv("WATCHDOG_PID") }
        #expect(ServiceNotifier().watchdogTimeout == .seconds(4))
    }

    @Test(.journald) func entriesReadBackFromARealJournald() async throws {
        let journal = try await JournaldFixture.start()
        let marker = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        var logger = Logger(label: "test") { _ in JournalLogHandler(identifier: "chargecontrold-test") }
        logger[metadataKey: "meter"] = "000000000001"
        logger.warning("relay tripped", metadata: ["event": "trip", "test-marker": "\(marker)", "_private": "x"])

        let entry = try await journal.waitForEntry(matching: "TEST_MARKER=\(marker)")
        #expect(entry["MESSAGE"] == "relay tripped")
        #expect(entry["METER"] == "000000000001")
        #expect(entry["EVENT"] == "trip")
        #expect(entry["PRIORITY"] == "4")
        #expect(entry["SYSLOG_IDENTIFIER"] == "chargecontrold-test")
        #expect(entry["PRIVATE"] == "x")
        #expect(entry["CODE_FUNC"] != nil)
    }
}

/// A flag shared with a service under test.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    func clear() { value.withLock { $0 = false } }
    var isSet: Bool { value.withLock { $0 } }
}
