import Foundation
import LoopbackTools

/// The daemon's HTTP API and the simulator's admin API, as the harnesses use them.
extension HarnessStation {
    // MARK: Meters

    /// Meter `n`'s 12-digit address (1-based).
    public static func address(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: 12 - digits.count) + digits
    }

    /// The terminal (0-based) serving meter `n` (1-based): contiguous blocks of ceil(M/T).
    public func terminal(ofMeter n: Int) -> Int {
        Self.terminal(ofMeter: n, meters: options.meters, terminals: options.terminals)
    }

    /// The terminal (0-based) serving meter `n` (1-based) of `meters` on `terminals`, as
    /// meter-sim lays them out.
    public static func terminal(ofMeter n: Int, meters: Int, terminals: Int) -> Int {
        let per = (meters + terminals - 1) / terminals
        return (n - 1) / per
    }

    /// The simulated meter as the admin API shows it.
    public func simMeter(_ n: Int) async throws -> JSONValue {
        let answer = try await http.send("GET", "\(admin)/meters/\(Self.address(n))")
        guard answer.status == 200, let json = answer.json else { throw HarnessFailure("admin GET meter \(n): \(answer)") }
        return json
    }

    /// How many simulated meters have this relay state (`closed`, `open`, `armed`).
    public func count(relay: String) async throws -> Int {
        let answer = try await http.send("GET", "\(admin)/meters?relay=\(relay)")
        guard answer.status == 200, let json = answer.json else { throw HarnessFailure("admin GET meters: \(answer)") }
        return json.array.count
    }

    /// Changes a simulated meter (`offline`, `relay`, `total_kwh`, `press_button`, `block_reads`, …).
    @discardableResult
    public func changeMeter(_ n: Int, _ change: String) async throws -> JSONValue {
        let answer = try await http.send("POST", "\(admin)/meters/\(Self.address(n))", json: change)
        guard answer.status == 200, let json = answer.json else { throw HarnessFailure("admin POST meter \(n) \(change): \(answer)") }
        return json
    }

    // MARK: API

    public func call(_ method: String, _ path: String, token: String? = nil, json: String? = nil) async throws -> HTTPAnswer {
        try await http.send(method, "\(api)\(path)", token: token ?? operatorToken, json: json)
    }

    /// Registers every simulator terminal as T0, T1, … (`unreachable`: on a closed port each, so
    /// nothing is read until they are registered again with the real ports).
    public func provisionTerminals(unreachable: Bool = false) async throws {
        for (index, realPort) in terminalPorts.enumerated() {
            let port = unreachable ? try freeLoopbackPort() : realPort
            let answer = try await call("POST", "/v1/terminals",
                                        json: jsonObject(["terminal_id": "T\(index)", "host": "127.0.0.1", "port": port]))
            guard answer.status == 201 || answer.status == 200 else { throw HarnessFailure("POST /v1/terminals: \(answer)") }
        }
    }

    /// The body of `POST /v1/accounts` for an account on simulated meter `n`.
    public func accountBody(_ id: String, meter n: Int, opening: String? = nil, protected: Bool = false,
                            region: String = "east", alarm: String? = nil, trip: String? = nil) -> String {
        var fields = [("account_id", jsonString(id)), ("meter_address", jsonString(Self.address(n))),
                      ("terminal_id", jsonString("T\(terminal(ofMeter: n))")), ("tariff", jsonString(tariff)),
                      ("region", jsonString(region)), ("protected", protected ? "true" : "false")]
        if let opening { fields.append(("opening_balance_yuan", jsonString(opening))) }
        if let alarm { fields.append(("alarm_yuan", jsonString(alarm))) }
        if let trip { fields.append(("trip_yuan", jsonString(trip))) }
        return "{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// Adds an account on simulated meter `n`.
    @discardableResult
    public func addAccount(_ id: String, meter n: Int, opening: String, protected: Bool = false, region: String = "east",
                           alarm: String? = nil, trip: String? = nil) async throws -> JSONValue {
        let body = accountBody(id, meter: n, opening: opening, protected: protected, region: region, alarm: alarm, trip: trip)
        let answer = try await call("POST", "/v1/accounts", json: body)
        guard answer.status == 201, let json = answer.json else { throw HarnessFailure("POST /v1/accounts \(id): \(answer)") }
        return json
    }

    /// Accounts `prefix`1…`prefix`N on meters 1…N, `concurrency` requests in flight.
    public func provisionAccounts(_ count: Int, prefix: String = "A", opening: String, region: String = "east",
                                  concurrency: Int = 16) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 1
            func add(_ n: Int) {
                let body = accountBody("\(prefix)\(n)", meter: n, opening: opening, region: region)
                group.addTask { [self] in
                    let answer = try await call("POST", "/v1/accounts", json: body)
                    guard answer.status == 201 else { throw HarnessFailure("POST /v1/accounts \(prefix)\(n): \(answer)") }
                }
            }
            while next <= min(count, concurrency) { add(next); next += 1 }
            while try await group.next() != nil {
                if next <= count { add(next); next += 1 }
            }
        }
    }

    public func account(_ id: String) async throws -> JSONValue {
        let answer = try await call("GET", "/v1/accounts/\(id)")
        guard answer.status == 200, let json = answer.json else { throw HarnessFailure("GET /v1/accounts/\(id): \(answer)") }
        return json
    }

    /// The account's commands, newest first.
    public func commands(_ id: String) async throws -> [JSONValue] {
        let answer = try await call("GET", "/v1/commands?account_id=\(id)")
        guard answer.status == 200, let json = answer.json else { throw HarnessFailure("GET /v1/commands \(id): \(answer)") }
        return json.array
    }

    /// Open job-review items.
    public func review() async throws -> [JSONValue] {
        let answer = try await call("GET", "/v1/review")
        guard answer.status == 200, let json = answer.json else { throw HarnessFailure("GET /v1/review: \(answer)") }
        return json.array
    }

    /// Acts on a review item (`retry`, `resolve`, `cancel`) with an operator's note, and the
    /// resolution (`accept`, `meter_replaced`) an abnormal-reading item is resolved with.
    public func actOnReview(_ id: Int, _ action: String, note: String, resolution: String? = nil) async throws -> HTTPAnswer {
        let body = resolution.map { jsonObject(["note": note, "resolution": $0]) } ?? jsonObject(["note": note])
        return try await call("POST", "/v1/review/\(id)/\(action)", json: body)
    }

    /// An operator's adjustment of the account's balance (`amount`: signed yuan, "-40.00").
    public func adjust(_ account: String, number: String, amount: String, reason: String) async throws -> HTTPAnswer {
        try await call("POST", "/v1/accounts/\(account)/adjustments",
                       json: jsonObject(["adjustment_no": number, "amount_yuan": amount, "reason": reason]))
    }

    public func pay(_ order: String, account: String, amount: String, channel: String = "mobile_app") async throws -> HTTPAnswer {
        try await call("POST", "/v1/payments", token: paymentsToken,
                       json: jsonObject(["order_no": order, "account_id": account, "amount_yuan": amount, "channel": channel]))
    }

    /// The sum of a metric family on `/metrics` (all label sets).
    public func metric(_ name: String) async throws -> Double {
        let answer = try await call("GET", "/metrics", token: viewerToken)
        guard answer.status == 200 else { throw HarnessFailure("GET /metrics: \(answer.status)") }
        return prometheusSum(of: name, in: answer.text)
    }

    /// Every remote-control request the meters have received from receipt `from` on (needs
    /// `options.recordControls`).
    public func controlReceipts(from start: Int = 0) async throws -> [ControlReceiptView] {
        let answer = try await http.send("GET", "\(admin)/controls?from=\(start)")
        guard answer.status == 200, let json = answer.json else { throw HarnessFailure("admin GET /controls: \(answer)") }
        if json["truncated"]?.bool == true { throw HarnessFailure("meter-sim's control log is full: the run is too long to check") }
        return json["receipts"]?.array.compactMap(ControlReceiptView.init(json:)) ?? []
    }
}

/// One remote-control request as a simulated meter received it (`meter-sim --record-controls`).
public struct ControlReceiptView: Sendable, Hashable {
    public let address: String
    /// Wall-clock unix milliseconds.
    public let atMillis: Int64
    public let command: String
    /// `YYYY-MM-DD hh:mm:ss`, meter (station) local time.
    public let deadline: String
    public let fate: String
    public let executed: Bool
    /// The connection to its terminal it came on (numbered from 1 per terminal; 0: unknown).
    public var connection = 0

    public init(address: String, atMillis: Int64, command: String, deadline: String, fate: String = "deliver",
                executed: Bool = true) {
        self.address = address
        self.atMillis = atMillis
        self.command = command
        self.deadline = deadline
        self.fate = fate
        self.executed = executed
    }

    init?(json: JSONValue) {
        guard let address = json["address"]?.string, let at = json["at_ms"]?.int64, let command = json["command"]?.string,
              let deadline = json["deadline"]?.string, let fate = json["fate"]?.string, let executed = json["executed"]?.bool
        else { return nil }
        self.address = address
        atMillis = at
        self.command = command
        self.deadline = deadline
        self.fate = fate
        self.executed = executed
        connection = json["connection"]?.int ?? 0
    }
}
