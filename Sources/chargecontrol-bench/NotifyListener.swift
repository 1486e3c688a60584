import Foundation
import StationHarness
import LoopbackTools
#if canImport(Glibc)
import Glibc
#endif

/// The bench's stand-in for systemd's notification socket: an AF_UNIX datagram socket whose path
/// goes to `chargecontrold` in `NOTIFY_SOCKET`, so start-up is timed to the real `READY=1` the
/// daemon sends (libsystemd's `sd_notify`), not to the first HTTP answer.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32

    /// Binds `notify.sock` in `folder` (the path must fit `sun_path`, 108 bytes).
    init(in folder: URL) throws {
        path = folder.appendingPathComponent("notify.sock").path
        unlink(path)
        fd = try boundDatagramSocket(path: path)
        // Short receive timeouts, so a wait can notice its deadline and a dead daemon.
        var limit = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Drops messages already queued (from an earlier daemon process).
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 {}
    }

    /// Waits for a datagram holding the line `READY=1`; returns the instant it arrived. Throws
    /// when `process` ends first or `seconds` pass.
    func waitForReady(of process: ManagedProcess, within seconds: Double) async throws -> ContinuousClock.Instant {
        let fd = self.fd
        let deadline = ContinuousClock.now + .seconds(seconds)
        let arrived: ContinuousClock.Instant? = await offThePool {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 {
                    let now = ContinuousClock.now
                    let text = String(decoding: buffer[..<n], as: UTF8.self)
                    if text.split(separator: "\n").contains("READY=1") { return now }
                    continue
                }
                if !process.isRunning { return nil }
            }
            return nil
        }
        guard let arrived else {
            throw BenchFailure(process.isRunning ? "\(process.name) sent no READY=1 within \(Int(seconds)) s"
                                                 : "\(process.name) stopped before READY=1")
        }
        return arrived
    }
}
