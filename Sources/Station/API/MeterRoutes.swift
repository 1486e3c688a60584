import ChargeControl
import Foundation
import Hummingbird
import Store
import Tariffs

/// `GET /v1/meters/ADDR/live` (readers): the meter read now through its terminal (control
/// lane), beside the station's balance; 504 naming what did not answer.
/// `POST /v1/meters/ADDR/commands` `{"kind", "reason"}` (operator): an operator's 1CH command,
/// queued like the policy's; 202 with the command and what the policy makes of it.
enum MeterRoutes {
    struct CommandBody: Decodable {
        let kind: String
        let reason: String?
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        let zone = station.settings.timeZone
        routes.on(.get, "meters/:address/live", .read) { _, context in
            let meter = try FieldValidation.meterAddress(try context.parameters.require("address"), "meter address")
            guard let account = try await station.core.store.account(meter: meter) else {
                throw APIError.notFound("no account owns meter \(meter)", code: "unknown_meter")
            }
            guard let lines = station.settings.lines, let line = lines.line(for: account.terminalID) else {
                throw APIError(.gatewayTimeout, LiveReadFailure.noLine(terminal: account.terminalID).description)
            }
            let reader = LiveMeterRead(line: line, terminalID: account.terminalID, timeZone: zone,
                                       bound: station.settings.liveReadBound, clock: lines.clock)
            let reading: LiveMeterReading
            do {
                reading = try await reader.read(meter, station: station.core.clock)
            } catch let failure as LiveReadFailure {
                switch failure {
                case .badReply: throw APIError(.badGateway, failure.description)
                case .noLine, .noAnswer: throw APIError(.gatewayTimeout, failure.description)
                }
            }
            // The balance after the read: the freshest the station has.
            let balance = try await station.core.account(account.id).balance
            return try JSONResponse.make(LiveView(reading: reading, balance: balance, zone: zone))
        }

        routes.on(.post, "meters/:address/commands", .operate) { request, context in
            let meter = try FieldValidation.meterAddress(try context.parameters.require("address"), "meter address")
            let body = try await JSONRequestBody.decode(CommandBody.self, from: request, context: context)
            guard let kind = CommandKind(rawValue: body.kind), kind.isRemoteControl else {
                throw OperatorCommandRefusal.notRemoteControl(body.kind)
            }
            let reason = (body.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty else { throw APIError.badRequest("reason must not be empty: say why the meter is commanded") }
            guard reason.count <= 500 else { throw APIError.badRequest("reason is longer than 500 characters") }
            let queued = try await station.core.queueOperatorCommand(kind, meter: meter, reason: reason, actor: context.actor)
            var view = CommandRoutes.View(queued.command, zone: zone)
            view.note = queued.note
            return try JSONResponse.make(view, status: .accepted)
        }
    }
}

extension OperatorCommandRefusal: StoreRefusal {
    var apiError: APIError {
        switch self {
        case .notRemoteControl: .badRequest(description)
        case .unknownMeter: .notFound(description, code: "unknown_meter")
        case .protectedTrip: .conflict(description, code: "protected_account")
        }
    }
}
