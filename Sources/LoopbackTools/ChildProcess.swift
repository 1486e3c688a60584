import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Everything a pipe brings until its writers close it, read on a thread of its own from the
/// moment this is made: a child whose pipe is read only after it exits waits forever once the
/// pipe's buffer (64 KiB) is full.
public final class PipeReader: Sendable {
    private let data: Task<Data, Never>

    public init(_ handle: FileHandle) {
        data = Task {
            await offThePool {
                var data = Data()
                while case let bytes = readBytes(from: handle, upTo: 65_536), !bytes.isEmpty { data.append(contentsOf: bytes) }
                return data
            }
        }
    }

    /// The whole text, once the pipe has ended.
    public func text() async -> String {
        String(decoding: await data.value, as: UTF8.self)
    }
}

/// Waits until `process` has exited, sleeping between looks instead of holding a thread in
/// `waitUntilExit`; false when it still runs after `seconds` or the waiting task is cancelled.
public func waitForExit(of process: Process, within seconds: Double) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while process.isRunning {
        guard ContinuousClock.now < deadline, (try? await Task.sleep(for: .milliseconds(10))) != nil else { return false }
    }
    return true
}

/// How a child process run to its end ended, and what it wrote.
public struct ChildOutput: Sendable {
    public let status: Int32
    /// Ended by a signal (`status` is then the signal's number).
    public let signalled: Bool
    public let stdout: String
    public let stderr: String
}

/// Runs `executable` to its end, its output read while it runs (`PipeReader`) and its exit
/// awaited without blocking a thread. Still running after `seconds`, it is killed and that is
/// thrown. `environment` replaces this process's own when given.
public func runToEnd(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                     within seconds: Double = 120) async throws -> ChildOutput {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    let (out, err) = (Pipe(), Pipe())
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let (stdout, stderr) = (PipeReader(out.fileHandleForReading), PipeReader(err.fileHandleForReading))
    let ended = await waitForExit(of: process, within: seconds)
    if !ended {
        kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(of: process, within: 10)
    }
    let output = ChildOutput(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                             stdout: await stdout.text(), stderr: await stderr.text())
    guard ended else {
        throw LoopbackError(description: "\(executable.lastPathComponent) did not end within \(seconds) s and was killed; stderr: \(output.stderr)")
    }
    return output
}

/// This process's environment without systemd's notification variables, plus `extra`. Tests set
/// `NOTIFY_SOCKET` and `WATCHDOG_USEC` process-wide while other suites run: a child started then
/// (journald, a daemon) inherited them, and its READY=1 or pings landed on that test's socket.
public func childEnvironment(adding extra: [String: String] = [:]) -> [String: String] {
    ProcessInfo.processInfo.environment
        .filter { !["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"].contains($0.key) }
        .merging(extra) { $1 }
}
