import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Small helpers for running the station's processes on this machine: shared by the benchmark
// and the tests that start meter-sim and chargecontrold.

/// Why a loopback port could not be had.
public struct LoopbackError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw LoopbackError(description: "socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw LoopbackError(description: "bind() failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Runs blocking work (pipes, a blocking receive) on a thread of its own. Not on the cooperative
/// pool, whose threads (two here) every task shares, and not on Dispatch's global queues either:
/// on Linux Swift's tasks run on those same worker threads, so work blocked there starved them.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// Up to `count` bytes from `handle`, blocking until some come; empty at the end of the stream
/// (or on an error). A read a signal interrupts is retried: Foundation's FileHandle reads trap on
/// EINTR, which took a whole test process down.
public func readBytes(from handle: FileHandle, upTo count: Int) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: count)
    while true {
        let n = read(handle.fileDescriptor, &buffer, count)
        if n >= 0 { return Array(buffer[..<n]) }
        if errno != EINTR { return [] }
    }
}

/// Reads one line (without its newline) a byte at a time, so nothing after it is consumed; nil
/// when the stream ends before any byte.
public func readLine(from handle: FileHandle) -> String? {
    var bytes: [UInt8] = []
    while true {
        guard let byte = readBytes(from: handle, upTo: 1).first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
        if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
        bytes.append(byte)
    }
}

/// An AF_UNIX datagram socket bound at `path` (a stand-in for systemd's `NOTIFY_SOCKET`); the
/// caller closes it and unlinks the path.
public func boundDatagramSocket(path: String) throws -> Int32 {
    guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
        throw LoopbackError(description: "socket path too long: \(path)")
    }
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { throw LoopbackError(description: "socket(AF_UNIX, SOCK_DGRAM): errno \(errno)") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, b) in path.utf8.enumerated() { raw[i] = b }
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0 else {
        let error = errno
        close(fd)
        throw LoopbackError(description: "bind \(path): errno \(error)")
    }
    return fd
}
