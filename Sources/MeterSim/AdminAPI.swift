import DLT645
import Foundation
import Hummingbird

/// The admin HTTP API (INTERFACES.md `meter-sim`): look at meters and change them for a test.
///
/// - `GET /meters/ADDR` → one `MeterSnapshot` (with `clock_offset_s`, `parameters`, `writes`,
///   `read_back_lies`);
/// - `GET /meters[?relay=closed|open|armed][&offline=true|false]` → a list, address order;
/// - `POST /meters/ADDR` with any of `offline`, `relay` (`open`, `closed`, `armed`), `total_kwh`,
///   `press_button`, `block_reads`, `alarm`, `keep_power`, `clock_offset_s` (integer seconds),
///   `read_back_lies` → the changed meter;
/// - `GET /controls[?from=N]` → `{"from", "truncated", "receipts": [ControlReceipt]}`, the
///   remote-control requests received from index N on (404 unless `--record-controls`).
///
/// Unknown meters are 404, malformed input 400; errors are `{"error": "…"}`.
public enum AdminAPI {
    /// The router serving `fleet`.
    public static func router(fleet: MeterFleet) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("meters") { request, _ -> Response in
            var filters: [(MeterState) -> Bool] = []
            if let name = request.uri.queryParameters.get("relay") {
                guard let relay = RelayState(name: name) else {
                    return error(.badRequest, "relay=\(name): want closed, open or armed")
                }
                filters.append { $0.relay == relay }
            }
            if let text = request.uri.queryParameters.get("offline") {
                guard let offline = Bool(text) else { return error(.badRequest, "offline=\(text): want true or false") }
                filters.append { $0.offline == offline }
            }
            let list = fleet.snapshots { state in filters.allSatisfy { $0(state) } }
            return json(.ok, list)
        }
        router.get("controls") { request, _ -> Response in
            guard let log = fleet.controlLog else {
                return error(.notFound, "remote-control requests are not recorded: start meter-sim with --record-controls")
            }
            var start = 0
            if let text = request.uri.queryParameters.get("from") {
                guard let n = Int(text), n >= 0 else { return error(.badRequest, "from=\(text): want a receipt index ≥ 0") }
                start = n
            }
            let (receipts, truncated) = log.receipts(from: start)
            return json(.ok, ControlLogPage(from: start, truncated: truncated, receipts: receipts))
        }
        router.get("meters/:address") { _, context -> Response in
            switch lookUp(context, in: fleet) {
            case .failure(let failure): return failure.response
            case .success(let address):
                guard let snapshot = fleet.snapshot(address) else { return notFound(address) }
                return json(.ok, snapshot)
            }
        }
        router.post("meters/:address") { request, context -> Response in
            let address: MeterAddress
            switch lookUp(context, in: fleet) {
            case .failure(let failure): return failure.response
            case .success(let a): address = a
            }
            let body = try await request.body.collect(upTo: 64 * 1024)
            let change: MeterChange
            do {
                change = try MeterChange(json: Data(buffer: body))
            } catch let problem as MeterChange.Problem {
                return AdminAPI.error(.badRequest, problem.description)
            }
            guard let snapshot = fleet.apply(change, to: address) else { return notFound(address) }
            return json(.ok, snapshot)
        }
        return router
    }

    private static func lookUp(_ context: BasicRequestContext, in fleet: MeterFleet) -> Result<MeterAddress, ResponseFailure> {
        let text = context.parameters.get("address") ?? ""
        guard text.utf8.count == 12, let address = try? MeterAddress(text), !address.hasWildcard else {
            return .failure(ResponseFailure(response: error(.badRequest, "\"\(text)\" is not a 12-digit meter address")))
        }
        return .success(address)
    }

    private struct ResponseFailure: Error { let response: Response }

    private static func notFound(_ address: MeterAddress) -> Response {
        error(.notFound, "no simulated meter \(address)")
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, ["error": message])
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"encoding failed"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}


/// One page of the control log as `GET /controls` shows it.
struct ControlLogPage: Encodable {
    let from: Int
    let truncated: Bool
    let receipts: [ControlReceipt]
}
