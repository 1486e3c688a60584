import DLT645
import Foundation
import Synchronization

/// One remote-control request (1CH) as a meter received it, for harnesses that check the
/// station from the meters' side: what was sent, when, and what the bus made of it.
public struct ControlReceipt: Sendable, Hashable, Codable {
    /// The meter's 12-digit address.
    public var address: String
    /// Wall-clock unix milliseconds at which the meter took the request (real time, not the
    /// simulated clock: harnesses compare it with the station's timestamps).
    public var atMillis: Int64
    /// N1 as `RemoteControlCommand.description` names it (`trip`, `allow_close`, …).
    public var command: String
    /// The validity deadline the request carried, `YYYY-MM-DD hh:mm:ss` (meter local time).
    public var deadline: String
    /// What the faulty bus did: `deliver`, `drop`, `nak` or `garble`.
    public var fate: String
    /// Whether the meter executed it (delivered or garbled, and acknowledged with 9CH).
    public var executed: Bool
    /// The connection to its terminal it came on, numbered from 1 per terminal (0: not over
    /// TCP): two senders on one terminal at once show as two numbers interleaved (issue 16).
    public var connection: Int

    enum CodingKeys: String, CodingKey {
        case address, command, deadline, fate, executed, connection
        case atMillis = "at_ms"
    }
}

/// The control requests received, in order, kept only when `--record-controls` asks for it
/// (a harness's tool, not a production feature). Bounded: past `capacity` receipts, recording
/// stops and `truncated` says so.
public final class ControlLog: Sendable {
    private let state = Mutex<(receipts: [ControlReceipt], truncated: Bool)>(([], false))
    /// The most receipts held.
    public let capacity: Int

    public init(capacity: Int = 1_000_000) {
        self.capacity = capacity
    }

    func record(_ receipt: ControlReceipt) {
        state.withLock { state in
            if state.receipts.count < capacity { state.receipts.append(receipt) } else { state.truncated = true }
        }
    }

    /// Receipts from index `start` on, and whether any were not kept.
    public func receipts(from start: Int = 0) -> (receipts: [ControlReceipt], truncated: Bool) {
        state.withLock { state in
            (Array(state.receipts.dropFirst(max(0, start))), state.truncated)
        }
    }

    /// The receipt for a 1CH `frame`, or nil when the frame is no readable remote-control request.
    static func receipt(of frame: Frame, address: MeterAddress, fate: FaultDecision, reply: Reply?, connection: Int) -> ControlReceipt? {
        guard frame.control.function == .remoteControl,
              case .remoteControl(_, let control)? = try? Request(frame: frame) else { return nil }
        var executed = false
        if fate == .deliver || fate == .garble, case .acknowledged? = reply { executed = true }
        return ControlReceipt(address: address.description, atMillis: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)),
                              command: control.command.description, deadline: control.deadline.description,
                              fate: "\(fate)", executed: executed, connection: connection)
    }
}
