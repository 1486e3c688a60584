import LoopbackTools
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process of a harness: its output goes to a log file (for diagnostics), it can be
/// stopped politely (SIGTERM) or killed (SIGKILL), its resident memory read; no wait blocks a
/// thread of the cooperative pool.
public final class ManagedProcess: @unchecked Sendable {
    public let name: String
    public let logURL: URL
    private let process: Process
    private let stdout: Pipe?
    private let lock = NSLock()
    private var exited = false

    /// Starts `executable`; stderr (and stdout unless `pipeStdout`) goes to `logURL`, appended.
    /// - Parameter environment: added to this process's own environment, which is passed on
    ///   without systemd's notification variables (`childEnvironment`): set them here to pass them.
    public init(name: String, executable: URL, arguments: [String], logURL: URL, pipeStdout: Bool,
                environment: [String: String] = [:]) throws {
        self.name = name
        self.logURL = logURL
        if !FileManager.default.fileExists(atPath: logURL.path) {
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        let header = "----- \(name): \(executable.lastPathComponent) \(arguments.joined(separator: " "))\n"
        log.write(Data(header.utf8))
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = childEnvironment(adding: environment)
        process.standardError = log
        if pipeStdout {
            let pipe = Pipe()
            process.standardOutput = pipe
            stdout = pipe
        } else {
            process.standardOutput = log
            stdout = nil
        }
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
        InterruptCleanup.shared.add(pid: process.processIdentifier)
    }

    public var pid: Int32 { process.processIdentifier }

    /// Ended without being told to (a crash, or a refusal to start).
    public var endedOnItsOwn: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !exited && !process.isRunning
    }
    public var isRunning: Bool { process.isRunning }

    /// The resident set (VmRSS of /proc/PID/status) in bytes; 0 when it cannot be read.
    public var residentBytes: Int { procStatusField("VmRSS", pid: pid) }

    /// The descriptors the process holds now (entries of /proc/PID/fd); 0 when it cannot be read.
    public var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    /// Consumed CPU (user + system) so far, from /proc/PID/stat; 0 once the process is gone.
    public var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The first line on stdout (the ready line), or nil when the process ends or stays silent
    /// for `seconds` (then it is killed). Whatever follows on stdout is read and dropped while
    /// the process runs (meter-sim writes nothing more there): unread, a full pipe would stop it.
    public func firstLine(within seconds: Double) async -> String? {
        guard let handle = stdout?.fileHandleForReading else { return nil }
        let watchdog = Task { [self] in
            try await Task.sleep(for: .seconds(seconds))
            if isRunning { Glibc.kill(pid, SIGKILL) }
        }
        defer { watchdog.cancel() }
        return await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: readLine(from: handle))
                while !readBytes(from: handle, upTo: 65_536).isEmpty {}
            }.start()
        }
    }

    /// SIGTERM, then SIGKILL when it has not exited within `grace` seconds; waits for the exit.
    public func stop(grace: Double = 5) async {
        guard markExiting() else { return }
        if process.isRunning { process.terminate() }
        let ended = await waitForExit(of: process, within: grace)
        if !ended {
            Glibc.kill(pid, SIGKILL)
            _ = await waitForExit(of: process, within: 10)
        }
        InterruptCleanup.shared.remove(pid: pid)
    }

    /// SIGKILL at once, as a crash or power cut would; waits for the exit.
    public func kill9() async {
        guard markExiting() else { return }
        Glibc.kill(pid, SIGKILL)
        _ = await waitForExit(of: process, within: 10)
        InterruptCleanup.shared.remove(pid: pid)
    }

    private func markExiting() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if exited { return false }
        exited = true
        return true
    }

    /// How the process ended, when it has.
    public var exitDescription: String {
        guard !process.isRunning else { return "running" }
        return "\(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)"
    }
}

/// A field of /proc/PID/status (kB there) in bytes; 0 when it cannot be read.
public func procStatusField(_ field: String, pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
    }
    return 0
}

/// The last `count` lines of a text file.
public func tail(of url: URL, lines count: Int) -> String {
    guard let data = try? Data(contentsOf: url) else { return "(no log at \(url.path))" }
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    return lines.suffix(count).joined(separator: "\n")
}

/// A failure of the harness or of a bounded wait, with diagnostics.
public struct HarnessFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
