import Foundation
import Hummingbird
import Store
import Tariffs

/// `POST /v1/terminals` `{"terminal_id","host","port"}`: add (201) or update (200) a terminal.
/// `GET /v1/terminals` and `GET /v1/terminals/ID`: their condition (`TerminalCondition`).
enum TerminalRoutes {
    struct Body: Decodable {
        let terminalID: String
        let host: String
        let port: Int
        enum CodingKeys: String, CodingKey { case terminalID = "terminal_id", host, port }
    }

    struct View: Encodable {
        let terminalID: String
        let host: String
        let port: Int
        enum CodingKeys: String, CodingKey { case terminalID = "terminal_id", host, port }
    }

    /// A terminal's condition as the API shows it (INTERFACES.md v2 "Meter management").
    struct ConditionView: Encodable {
        let condition: TerminalCondition
        let zone: TimeZone

        enum CodingKeys: String, CodingKey {
            case terminalID = "terminal_id", host, port, online, since, lastReplyAt = "last_reply_at", meters
            case readsOK = "reads_ok", readsFailed = "reads_failed", successRatio = "success_ratio"
            case p50 = "round_trip_ms_p50", p99 = "round_trip_ms_p99", queueDepth = "queue_depth"
        }

        // Every key always present; unknowns are null.
        func encode(to encoder: any Encoder) throws {
            let c0 = condition
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(c0.terminal.id, forKey: .terminalID)
            try c.encode(c0.terminal.host, forKey: .host)
            try c.encode(c0.terminal.port, forKey: .port)
            try c.encode(c0.online, forKey: .online)
            try c.encode(c0.since.map { RFC3339.format($0, in: zone) }, forKey: .since)
            try c.encode(c0.lastReplyAt.map { RFC3339.format($0, in: zone) }, forKey: .lastReplyAt)
            try c.encode(c0.meters, forKey: .meters)
            try c.encode(c0.readsOK, forKey: .readsOK)
            try c.encode(c0.readsFailed, forKey: .readsFailed)
            try c.encode(c0.successRatio, forKey: .successRatio)
            try c.encode(c0.roundTripP50, forKey: .p50)
            try c.encode(c0.roundTripP99, forKey: .p99)
            try c.encode(c0.queueDepth, forKey: .queueDepth)
        }
    }

    /// Every terminal's condition, by id.
    static func conditions(_ station: APIStation) async throws -> [TerminalCondition] {
        let terminals = try await station.core.store.terminals()
        let counts = try await station.core.store.meterCounts()
        let health = station.settings.lines?.health ?? [:]
        let reads = station.settings.terminalReads()
        let now = station.core.clock.now
        return terminals.map {
            TerminalCondition(terminal: $0, health: health[$0.id], reads: reads[$0.id], meters: counts[$0.id] ?? 0, at: now)
        }
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        let zone = station.settings.timeZone
        routes.on(.get, "terminals", .read) { _, _ in
            try JSONResponse.make(try await conditions(station).map { ConditionView(condition: $0, zone: zone) })
        }
        routes.on(.get, "terminals/:id", .read) { _, context in
            let raw = try context.parameters.require("id")
            let id = raw.removingPercentEncoding ?? raw
            guard let condition = try await conditions(station).first(where: { $0.terminal.id == id }) else {
                throw APIError.notFound("unknown terminal \"\(id)\"", code: "unknown_terminal")
            }
            return try JSONResponse.make(ConditionView(condition: condition, zone: zone))
        }
        routes.on(.post, "terminals", .operate) { request, context in
            let body = try await JSONRequestBody.decode(Body.self, from: request, context: context)
            let terminal = TerminalRecord(id: try FieldValidation.identifier(body.terminalID, "terminal_id"),
                                          host: try FieldValidation.identifier(body.host, "host"),
                                          port: try FieldValidation.port(body.port))
            let existed = try await station.core.store.terminals().contains { $0.id == terminal.id }
            try await station.core.upsertTerminal(terminal)
            return try JSONResponse.make(View(terminalID: terminal.id, host: terminal.host, port: terminal.port),
                                         status: existed ? .ok : .created)
        }
    }
}
