import NIOCore
import NIOHTTPTypes

/// One API connection's guard, placed after HTTP decoding: admits the connection through the
/// shared ``APIConnectionGate`` when it opens, follows its requests and responses in an
/// ``APIConnectionPhase``, tells the gate when it becomes idle or busy, and closes it when the
/// phase's deadline passes.
///
/// Hummingbird's own `idleTimeout` is not used: it restarts on every byte read, so a client
/// that trickles a header a byte a second would never be cut. This handler's idle deadline runs
/// from the start of the idle phase and only a complete request head ends it.
public final class APIConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private let gate: APIConnectionGate
    /// Set once admitted; nil before, and after the connection left the gate.
    private var id: UInt64?
    private var phase: APIConnectionPhase?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var decided = false

    init(gate: APIConnectionGate) {
        self.gate = gate
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        // Hummingbird builds the pipeline before the accepted channel is registered, so this
        // normally waits for channelActive; a pipeline built later starts here.
        if context.channel.isActive { admit(context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        leave()
    }

    public func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        admit(context)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        leave()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if var phase {
            let now = context.eventLoop.now
            switch unwrapInboundIn(data) {
            case .head: phase.requestHead(at: now)
            case .body: break
            case .end: phase.requestEnd(at: now)
            }
            changed(to: phase, context)
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if var phase, case .end = unwrapOutboundIn(data) {
            phase.responseEnd(at: context.eventLoop.now)
            changed(to: phase, context)
        }
        context.write(data, promise: promise)
    }

    // MARK: private

    private func admit(_ context: ChannelHandlerContext) {
        guard !decided else { return }
        decided = true
        let now = context.eventLoop.now
        guard let id = gate.open(context.channel, at: now) else {
            context.close(promise: nil)
            return
        }
        self.id = id
        phase = APIConnectionPhase(openedAt: now)
        schedule(context)
    }

    /// Takes the new phase: tells the gate when idleness changed, moves the timer.
    private func changed(to new: APIConnectionPhase, _ context: ChannelHandlerContext) {
        let wasIdle = phase?.isIdle
        phase = new
        if let id, wasIdle != new.isIdle { gate.update(id, idle: new.isIdle) }
        schedule(context)
    }

    /// Keeps one timer at the phase's deadline (none while the station handles a request).
    private func schedule(_ context: ChannelHandlerContext) {
        let due = phase?.deadline(idleTimeout: gate.limits.idleTimeout, bodyTimeout: gate.limits.bodyTimeout)?.at
        guard due != timerDeadline else { return }
        timer?.cancel()
        timer = nil
        timerDeadline = due
        guard let due else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            timer = nil
            timerDeadline = nil
            expire(context)
        }
    }

    private func expire(_ context: ChannelHandlerContext) {
        guard let id, let phase else { return }
        let now = context.eventLoop.now
        guard let reason = phase.expired(at: now, idleTimeout: gate.limits.idleTimeout, bodyTimeout: gate.limits.bodyTimeout) else {
            schedule(context)
            return
        }
        self.id = nil
        gate.timedOut(id, reason: reason, at: now, on: context.eventLoop)
        context.close(promise: nil)
    }

    private func leave() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        if let id { gate.closed(id) }
        id = nil
        phase = nil
    }
}

@available(*, unavailable)
extension APIConnectionHandler: Sendable {}
