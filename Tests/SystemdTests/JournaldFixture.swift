import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real systemd-journald for tests: reuses a running one, starts one when root, or skips with
/// a printed reason. One per test process: suites run in parallel, so a journald started here
/// stays up until the test process exits (an `atexit` hook stops it), never between tests.
struct JournaldFixture {
    static let binary = "/lib/systemd/systemd-journald"
    static let socket = "/run/systemd/journal/socket"

    private static let shared: Mutex<Result<JournaldFixture?, any Error>?> = Mutex(nil)
    nonisolated(unsafe) private static var started: Process?

    /// nil (with the reason printed) when no journald can be had here.
    static func start() throws -> JournaldFixture? {
        try shared.withLock { cached in
            if let cached { return try cached.get() }
            let result = Result { try launch() }
            cached = result
            return try result.get()
        }
    }

    /// Does nothing: the shared journald outlives every test (see the type's note).
    func stop() {}

    private static func launch() throws -> JournaldFixture? {
        if isListening() { return JournaldFixture() }
        guard getuid() == 0 else {
            print("skipped: journald test needs root to start \(binary) (not running as root)")
            return nil
        }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            print("skipped: \(binary) is not installed")
            return nil
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait for the socket to appear (bounded; no assertion on how long it takes).
        for _ in 0..<200 where !isListening() { usleep(25_000) }
        try #require(isListening(), "journald did not open \(socket)")
        started = p
        atexit {
            guard let p = JournaldFixture.started, p.isRunning else { return }
            p.terminate()
            p.waitUntilExit()
        }
        return JournaldFixture()
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
            if let entry = try Self.query([match] + more) { return entry }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no journal entry matched \(match)")
        return [:]
    }

    private static func query(_ matches: [String]) throws -> [String: String]? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        p.arguments = ["-o", "json", "--no-pager"] + matches
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard let line = data.split(separator: UInt8(ascii: "\n")).first,
              let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        else { return nil }
        return object.compactMapValues { $0 as? String }
    }
}
