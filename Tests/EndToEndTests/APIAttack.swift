import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Raw TCP connections to the daemon's API on 127.0.0.1, as a client holding the station
/// hostage would open them (issue 17): idle ones that never send a byte, slowloris ones that
/// trickle a request head a byte a second, and slow-body ones that send a whole head and then
/// trickle the body. Sockets are non-blocking and polled, so nothing waits on the daemon.
struct APIAttack {
    enum Kind: String, CaseIterable, Sendable {
        case idle, slowloris, slowBody
    }

    /// How many of each to hold open, and whether to open a new one when the daemon closes one.
    struct Plan: Sendable {
        var idle = 0
        var slowloris = 0
        var slowBody = 0
        /// Open a replacement for each connection the daemon closes (an attacker who reconnects).
        var reconnect = false
        /// At most this many replacements a round, so the churn stays a flood and not a busy loop.
        var reopensPerRound = 50
        /// The payments token for half the slow bodies (the other half send none: a 401 goes out early).
        var token = ""
    }

    /// A connection the daemon closed.
    struct Ended: Sendable {
        let kind: Kind
        /// From socket() to the round that saw the close.
        let lifetime: Duration
        let bytesSent: Int
        let payloadBytes: Int
        let answered: Bool
    }

    /// What happened during a run.
    struct Report: Sendable {
        var opened = 0
        var ended: [Ended] = []
        var openAtEnd = 0

        func ended(_ kind: Kind) -> [Ended] { ended.filter { $0.kind == kind } }
    }

    let port: Int
    let plan: Plan
    /// The pause between rounds (poll, replace, send the next bytes).
    var round = Duration.milliseconds(250)
    /// No run opens more than this many connections in all.
    var maxOpens = 20_000

    /// Runs until the task is cancelled, `limit` has passed, or (`untilAllClosed`) the daemon has
    /// closed every connection; closes whatever is still open and reports.
    func run(for limit: Duration, untilAllClosed: Bool = false) async -> Report {
        var report = Report()
        var open: [Connection] = []
        var counter = 0
        func add(_ kind: Kind) {
            guard report.opened < maxOpens, let connection = Connection(port: port, kind: kind, payload: payload(kind, counter)) else { return }
            counter += 1
            report.opened += 1
            open.append(connection)
        }
        for (kind, count) in [(Kind.idle, plan.idle), (.slowloris, plan.slowloris), (.slowBody, plan.slowBody)] {
            for _ in 0..<count { add(kind) }
        }
        let deadline = ContinuousClock.now + limit
        while !Task.isCancelled, ContinuousClock.now < deadline, !(untilAllClosed && open.isEmpty) {
            let now = ContinuousClock.now
            var reopen: [Kind] = []
            var stillOpen: [Connection] = []
            for var connection in open {
                if connection.closedByPeer() {
                    connection.close()
                    report.ended.append(connection.ended(at: now))
                    reopen.append(connection.kind)
                } else {
                    stillOpen.append(connection)
                }
            }
            open = stillOpen
            if plan.reconnect {
                for kind in reopen.prefix(plan.reopensPerRound) { add(kind) }
            }
            for index in open.indices where open[index].kind != .idle { open[index].trickle(at: now) }
            try? await Task.sleep(for: round)
        }
        report.openAtEnd = open.count
        for connection in open { connection.close() }
        return report
    }

    /// What each kind sends: nothing; a head a byte at a time (that alone would take minutes);
    /// a head at once, then a body a byte at a time.
    private func payload(_ kind: Kind, _ n: Int) -> (burst: Int, bytes: [UInt8]) {
        switch kind {
        case .idle:
            return (0, [])
        case .slowloris:
            let head = "GET /v1/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: \(String(repeating: "a", count: 200))\r\n\r\n"
            return (1, Array(head.utf8))
        case .slowBody:
            let body = "{\"order_no\": \"SLOW-\(n)\", \"account_id\": \"nobody\", \"amount_yuan\": \"1.00\", \"channel\": \"counter\"}"
            let auth = n % 2 == 0 && !plan.token.isEmpty ? "Authorization: Bearer \(plan.token)\r\n" : ""
            let head = "POST /v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\n\(auth)Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            return (head.utf8.count, Array(head.utf8) + Array(body.utf8))
        }
    }
}

/// One non-blocking socket of an attack.
private struct Connection {
    let fd: Int32
    let kind: APIAttack.Kind
    let payload: [UInt8]
    /// Bytes sent in the first send (the head of a slow body), then one a second.
    let burst: Int
    let openedAt = ContinuousClock.now
    var sent = 0
    var nextSendAt = ContinuousClock.now
    var answered = false

    /// Starts connecting to 127.0.0.1:`port`; nil when no socket can be had.
    init?(port: Int, kind: APIAttack.Kind, payload: (burst: Int, bytes: [UInt8])) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let started = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard started == 0 || errno == EINPROGRESS else {
            Glibc.close(fd)
            return nil
        }
        self.fd = fd
        self.kind = kind
        self.payload = payload.bytes
        self.burst = payload.burst
    }

    /// Whether the daemon has closed (or reset, or refused) the connection; reads and drops
    /// whatever it answered.
    mutating func closedByPeer() -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 0) == 1 else { return false }
        if entry.revents & (Int16(POLLERR) | Int16(POLLHUP)) != 0 { return true }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                answered = true
                continue
            }
            return count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
        }
    }

    /// Sends the next bytes when they are due (the burst first, then a byte a second); a socket
    /// still connecting tries again next round.
    mutating func trickle(at now: ContinuousClock.Instant) {
        guard sent < payload.count, now >= nextSendAt else { return }
        let size = sent == 0 ? max(1, burst) : 1
        let count = payload[sent..<min(payload.count, sent + size)].withUnsafeBytes { raw in
            send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
        guard count > 0 else { return }
        sent += count
        nextSendAt = now + .seconds(1)
    }

    func ended(at now: ContinuousClock.Instant) -> APIAttack.Ended {
        APIAttack.Ended(kind: kind, lifetime: now - openedAt, bytesSent: sent, payloadBytes: payload.count, answered: answered)
    }

    func close() {
        Glibc.close(fd)
    }
}
