import Hummingbird
import Store

/// `POST /v1/terminals` `{"terminal_id","host","port"}`: add (201) or update (200) a terminal.
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

    static func register(_ routes: APIRoutes) {
        let station = routes.station
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
