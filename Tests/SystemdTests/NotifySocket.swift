import Foundation
import LoopbackTools
#if canImport(Glibc)
import Glibc
#endif

/// A datagram socket standing in for systemd's notification socket (`NOTIFY_SOCKET`).
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8)).sock").path
        fd = try boundDatagramSocket(path: path)
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next message, or nil when none comes within `limit` (generous, so a missing message
    /// fails, not hangs). The socket is asked without blocking and the task sleeps between asks:
    /// a test blocked in `recv` held one of the cooperative pool's two threads here.
    func receive(within limit: Duration = .seconds(30)) async -> String? {
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 { return String(decoding: buffer[..<n], as: UTF8.self) }
            guard ContinuousClock.now < deadline, (try? await Task.sleep(for: .milliseconds(5))) != nil else { return nil }
        }
    }

    /// Drops the messages queued now.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 {}
    }

    /// Reads until `wanted` comes (true) or a message does not come within its bound (false).
    func waitFor(_ wanted: String) async -> Bool {
        while let message = await receive() {
            if message == wanted { return true }
        }
        return false
    }

    /// Up to `count` messages, in order; fewer when one does not come within its bound.
    func messages(_ count: Int) async -> [String] {
        var received: [String] = []
        while received.count < count, let message = await receive() { received.append(message) }
        return received
    }
}
