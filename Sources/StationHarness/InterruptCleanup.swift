import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Child processes (every `ManagedProcess` until it is stopped) and temporary folders alive right
/// now, so that a program that installs the handlers (the bench) stops them and removes the
/// folders when SIGINT/SIGTERM ends it, instead of leaving daemons and files behind.
public final class InterruptCleanup: @unchecked Sendable {
    public static let shared = InterruptCleanup()
    private let lock = NSLock()
    private var pids: Set<Int32> = []
    private var folders: Set<String> = []
    private var sources: [any DispatchSourceSignal] = []

    public func add(pid: Int32) { lock.withLock { _ = pids.insert(pid) } }
    public func remove(pid: Int32) { lock.withLock { _ = pids.remove(pid) } }
    public func add(folder: URL) { lock.withLock { _ = folders.insert(folder.path) } }
    public func remove(folder: URL) { lock.withLock { _ = folders.remove(folder.path) } }

    /// Installs the SIGINT/SIGTERM handlers (once, at start-up); `program` names the message.
    public func install(program: String) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                let (pids, folders) = lock.withLock { (self.pids, self.folders) }
                for pid in pids { Glibc.kill(pid, SIGTERM) }
                let deadline = Date().addingTimeInterval(5)
                for pid in pids {
                    while Glibc.kill(pid, 0) == 0, waitpid(pid, nil, WNOHANG) == 0, Date() < deadline { usleep(20_000) }
                    Glibc.kill(pid, SIGKILL)
                }
                for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
                FileHandle.standardError.write(Data("\(program): interrupted; processes stopped, temporary files removed\n".utf8))
                exit(130)
            }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }
}
