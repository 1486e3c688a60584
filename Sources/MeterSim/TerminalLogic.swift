import DLT645

/// What a terminal sends back for one received frame.
public struct TerminalAnswer: Sendable, Hashable {
    /// The bytes to send, or nil for silence.
    public var bytes: [UInt8]?
    /// How long to wait before sending (fault injection).
    public var delayMilliseconds: Int

    static let silence = TerminalAnswer(bytes: nil, delayMilliseconds: 0)
}

extension MeterFleet {
    /// Everything terminal `index` does with one received frame: find the meter it addresses
    /// (silence for addresses it does not serve, for offline meters and for broadcasts; a
    /// wildcard read is answered by the one matching meter, silence when none or several match),
    /// draw the faults, run the meter, and encode the reply. `connection`: which of the terminal's
    /// connections it came on (numbered from 1; 0 when not over TCP), for the control log.
    public func respond(to frame: Frame, onTerminal index: Int, connection: Int = 0) -> TerminalAnswer {
        guard terminals.indices.contains(index), !frame.control.isReply else { return .silence }
        let terminal = terminals[index]
        if frame.address.isBroadcast {
            if frame.control.function == .broadcastTime, case .broadcastTime(let time)? = try? Request(frame: frame) {
                setClock(of: terminal, to: time)
            }
            return .silence
        }
        let now = clock.nowSeconds()
        let civilNow = clock.civilSeconds()
        return terminal.bank.withLock { bank -> TerminalAnswer in
            guard let local = meterIndex(for: frame, on: terminal), !bank.meters[local].offline else {
                return .silence
            }
            let global = terminal.firstMeter + local
            let address = address(ofMeter: global)
            let (decision, delay) = bank.faults.next()
            let reply: Reply?
            switch decision {
            case .drop:
                if let controlLog, let receipt = ControlLog.receipt(of: frame, address: address, fate: .drop, reply: nil,
                                                                                    connection: connection) {
                    controlLog.record(receipt)
                }
                return .silence
            case .nak:
                reply = .abnormal(address, frame.control.function, ErrorWord(UInt8(ErrorWord.other)))
            case .deliver, .garble:
                switch Result(catching: { () throws(DLT645Error) -> Request in try Request(frame: frame) }) {
                case .success(let request):
                    // Taken out of the table while handled, so a write does not copy it; put back
                    // only when there is something to keep (the table stays sparse).
                    var parameters = bank.parameters.removeValue(forKey: local) ?? WrittenParameters()
                    let env = environment(meter: global, now: now, civilNow: civilNow)
                    reply = MeterBehavior.handle(request, address: address, meter: &bank.meters[local],
                                                 parameters: &parameters, environment: env)
                    if !parameters.isEmpty { bank.parameters[local] = parameters }
                case .failure:
                    // Unsupported function or malformed data: refuse it.
                    reply = .abnormal(address, frame.control.function, ErrorWord(UInt8(ErrorWord.other)))
                }
            }
            if let controlLog, let receipt = ControlLog.receipt(of: frame, address: address, fate: decision, reply: reply,
                                                                                connection: connection) {
                controlLog.record(receipt)
            }
            guard let reply else { return .silence }
            var bytes = [UInt8](repeating: 0xFE, count: configuration.replyPreamble)
            reply.frame.encode(into: &bytes)
            if decision == .garble { FaultInjector.garble(&bytes) }
            return TerminalAnswer(bytes: bytes, delayMilliseconds: delay)
        }
    }

    /// The local index of the meter `frame` addresses on `terminal`, if exactly one.
    private func meterIndex(for frame: Frame, on terminal: SimTerminal) -> Int? {
        let target = frame.address
        guard target.hasWildcard else {
            guard let found = locate(target), found.terminal === terminal else { return nil }
            return found.local
        }
        // Wildcards only in reads (11H) and read-address (13H); a bus with several matching
        // meters would garble, so the terminal stays silent unless exactly one matches.
        let fn = frame.control.function
        guard fn == .read || fn == .readAddress else { return nil }
        var match: Int?
        for local in 0..<terminal.meterCount where target.matches(address(ofMeter: terminal.firstMeter + local)) {
            if match != nil { return nil }
            match = local
        }
        return match
    }

    /// Broadcast time: every meter of the terminal whose clock is within ±5 minutes of `time`
    /// now shows it; the others (and offline meters, off the bus) ignore it. Registers are brought
    /// up to now first, so consumption before the change is attributed with the old clock.
    func setClock(of terminal: SimTerminal, to time: MeterDateTime) {
        let now = clock.nowSeconds()
        let civilNow = clock.civilSeconds()
        guard let target = MeterClock.offset(showing: time, civilNow: civilNow, utcOffsetSeconds: utcOffset(at: civilNow)) else {
            return
        }
        terminal.bank.withLock { bank in
            for local in 0..<terminal.meterCount where !bank.meters[local].offline {
                let offset = MeterClock.afterBroadcast(current: bank.meters[local].clockOffset, broadcastOffset: target)
                guard offset != bank.meters[local].clockOffset else { continue }
                consumption.advance(&bank.meters[local], to: now, watts: load.watts(meter: terminal.firstMeter + local))
                bank.meters[local].clockOffset = offset
            }
        }
    }
}
