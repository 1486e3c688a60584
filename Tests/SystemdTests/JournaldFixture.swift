import Foundation
import LoopbackTools
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real systemd-journald for tests: reuses a running one, or starts one when root. One per test
/// process: suites run in parallel, so a journald started here stays up until the test process
/// exits (an `atexit` hook stops it), never between tests. A test that needs it carries the
/// `.journald` trait: where none can be had it is reported skipped with the reason, not passed.
struct JournaldFixture: Sendable {
    static let binary = "/lib/systemd/systemd-journald"
    static let socket = "/run/systemd/journal/socket"

    /// Why no journald can be had here; nil when one runs or can be started. Quick checks (the
    /// user, a file, a connect), made once.
    static let unavailableReason: String? = {
        if isListening() { return nil }
        guard getuid() == 0 else { return "needs a running journald, or root to start \(binary): not running as root" }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            return "needs a running journald, or \(binary) to start one: it is not installed"
        }
        return nil
    }()

    /// The journald this process started, for the `atexit` hook.
    private static let started = Mutex<Process?>(nil)
    /// The one start, awaited by every test that needs journald.
    private static let launch = Task<Void, any Error> { try await startUnlessListening() }

    /// The shared journald, started on first use.
    static func start() async throws -> JournaldFixture {
        if let unavailableReason { throw LoopbackError(description: unavailableReason) }
        try await launch.value
        return JournaldFixture()
    }

    private static func startUnlessListening() async throws {
        if isListening() { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.environment = childEnvironment()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        started.withLock { $0 = p }
        atexit {
            guard let p = JournaldFixture.started.withLock({ $0 }), p.isRunning else { return }
            p.terminate()
            p.waitUntilExit()
        }
        // Wait for the socket to appear (bounded; no assertion on how long it takes).
        for _ in 0..<200 where !isListening() { try await Task.sleep(for: .milliseconds(25)) }
        guard isListening() else { throw LoopbackError(description: "journald did not open \(socket)") }
    }

    /// A stale socket file from a stopped journald is not enough: try to connect.
    private static func isListening() -> Bool {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in socket.utf8.enumerated() { raw[i] = b }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }

    /// Polls `journalctl -o json MATCH` until an entry appears (journald writes asynchronously).
    func waitForEntry(matching match: String, and more: String...) async throws -> [String: String] {
        for _ in 0..<100 {
            if let entry = try await Self.query([match] + more) { return entry }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no journal entry matched \(match)")
        return [:]
    }

    private static func query(_ matches: [String]) async throws -> [String: String]? {
        let run = try await runToEnd(URL(fileURLWithPath: "/usr/bin/journalctl"), ["-o", "json", "--no-pager"] + matches, within: 60)
        guard let line = run.stdout.split(separator: "\n").first,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { return nil }
        return object.compactMapValues { $0 as? String }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only where a journald can be had; elsewhere the report says it was skipped
    /// and why.
    static var journald: Self {
        .enabled(if: JournaldFixture.unavailableReason == nil, Comment(rawValue: JournaldFixture.unavailableReason ?? "journald available"))
    }
}
