import ChargeControl
import DLT645
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Synchronization
import Testing
@testable import Station

/// The meter password never reaches a log line or an API answer (issue 6, access control): a
/// station with a distinctive password trips and re-arms a meter of the in-process meter-sim,
/// and a second one is refused for a wrong password, every log line captured at trace level and
/// every GET route of the API read; the password shows in none of its forms.
@Suite struct SecretsNeverLeakTests {
    /// Level 04, P0…P2 = 97 C5 E3: byte values that occur nowhere else in these tests.
    static let password = "0497C5E3"

    /// The password as configured, on the wire (+33H per byte), in the `97H` notation of
    /// `Frame.description`, as decimal bytes (a dump of `[UInt8]`), in either byte order, with or
    /// without its level byte. Compared upper-cased.
    static let forms: [String] = {
        let bytes: [UInt8] = [0x04, 0x97, 0xC5, 0xE3]
        let sequences = [bytes, Array(bytes.dropFirst()), bytes.map { $0 &+ 0x33 }, Array(bytes.dropFirst()).map { $0 &+ 0x33 }]
        var forms: [String] = []
        for sequence in sequences + sequences.map { $0.reversed() } {
            let hex = sequence.map { String(format: "%02X", $0) }
            for separator in ["", " ", "H ", "H", ":", ", 0X", ", "] { forms.append(hex.joined(separator: separator)) }
            forms.append(sequence.map(String.init).joined(separator: ", "))
        }
        return forms
    }()

    static func leaks(_ text: String) -> [String] {
        let upper = text.uppercased()
        return forms.filter { upper.contains($0) }
    }

    @Test func theFormsAreFoundWhereTheyAre() {
        #expect(Self.leaks("password 0497c5e3") == ["0497C5E3", "97C5E3"])
        #expect(!Self.leaks("data=[37H CAH F8H 16H 01H]").isEmpty)
        #expect(!Self.leaks("bytes: [4, 151, 197, 227]").isEmpty)
        #expect(Self.leaks("level 04, ******").isEmpty)
    }

    @Test func controlCommandsLogsAndAnswersNeverShowThePassword() async throws {
        try await withDispatchRig(simPassword: Self.password) { rig in
            try await rig.provision(opening: "-1.00")  // alarm, then trip
            let answers = Mutex<[String]>([])
            try await rig.withDispatcher(policy: try DispatchRig.policy(password: Self.password)) { _ in
                try await eventually("alarm and trip acknowledged") {
                    let commands = try await rig.commands()
                    return commands.count == 2 && commands.allSatisfy { $0.state == .acknowledged }
                }
                try await rig.pay("50.00", order: "P1")  // allow close, alarm release
                // Both commands the payment causes, or the count below races the alarm release.
                try await eventually("allow-close and alarm release acknowledged") {
                    let allowClose = try await rig.command(.allowClose)?.state
                    let alarmRelease = try await rig.command(.alarmRelease)?.state
                    return allowClose == .acknowledged && alarmRelease == .acknowledged
                }
                #expect(rig.simMeter?.relay == "armed")
                let read = try await Self.everyGETAnswer(core: rig.core)
                answers.withLock { $0 = read }
            }
            #expect(rig.logs.events("command_acknowledged").count == 4)
            #expect(answers.withLock { $0.count } >= 7)
            try await Self.expectNoLeak(rig, answers: answers.withLock { $0 })
        }
    }

    @Test func aRefusedPasswordIsNotShownEither() async throws {
        try await withDispatchRig(simPassword: "02000000") { rig in
            try await rig.provision(opening: "-1.00")
            let answers = Mutex<[String]>([])
            try await rig.withDispatcher(policy: try DispatchRig.policy(password: Self.password)) { _ in
                try await eventually("alarm in review") { try await rig.command(.alarm)?.state == .review }
                let read = try await Self.everyGETAnswer(core: rig.core)
                answers.withLock { $0 = read }
            }
            #expect(rig.logs.events("review").count >= 1)
            #expect(answers.withLock { $0.contains { $0.contains("ERR 04") } }, "the review answer names the refusal")
            try await Self.expectNoLeak(rig, answers: answers.withLock { $0 })
        }
    }

    /// The wire values themselves never print: not via description, debugDescription or dump.
    @Test func wireValuesPrintWithoutThePassword() throws {
        let password = try Password(Self.password)
        let control = RemoteControl(password: password, operatorCode: try OperatorCode("00000001"), command: .trip,
                                    deadline: try MeterDateTime(Date(timeIntervalSince1970: 1_800_000_000), in: shanghai))
        let request = DLT645.Request.remoteControl(try MeterAddress("000000000001"), control)
        let policy = try DispatchRig.policy(password: Self.password)
        for value in [password as Any, control, request, policy] {
            var dumped = ""
            dump(value, to: &dumped)
            for text in ["\(value)", String(reflecting: value), dumped] {
                #expect(Self.leaks(text).isEmpty, "\(type(of: value)) shows the password: \(text)")
            }
        }
        // The frame carries it on the wire (that is its job) but never in its description.
        #expect(Self.leaks(request.frame.description).isEmpty, "\(request.frame)")
        #expect(request.frame.description.contains("** ** ** **"))
    }

    /// The body of every GET route the router has (parameters filled with A1, its meter and its
    /// terminal), as viewer. The live read has no lines here: its 504 is checked like the rest.
    static func everyGETAnswer(core: StationCore) async throws -> [String] {
        let router = APIServer.buildRouter(core: core, tokens: TestToken.tokens,
                                           settings: APIServerSettings(timeZone: shanghai, dispatchDeadline: .seconds(3600)))
        let uris = router.routes.filter { $0.method == .get }.map { route in
            let template = route.path.description
            let fill = template.contains("{address}") ? DispatchRig.meter : template.hasPrefix("/v1/terminals") ? "T1" : "A1"
            let path = template.split(separator: "/").map { $0.hasPrefix("{") ? fill : String($0) }.joined(separator: "/")
            return "/" + path + (path == "v1/commands" ? "?account_id=A1" : "")
        }
        let answers = Mutex<[String]>([])
        try await Application(router: router).test(.router) { client in
            for uri in uris {
                let answer = try await client.call(.get, uri, token: TestToken.viewer)
                #expect(answer.status == (uri.hasSuffix("/live") ? .gatewayTimeout : .ok), "GET \(uri): \(answer.text)")
                answers.withLock { $0.append(answer.text) }
            }
        }
        return answers.withLock { $0 }
    }

    static func expectNoLeak(_ rig: DispatchRig, answers: [String]) async throws {
        #expect(rig.logs.all.count >= 4)
        for line in rig.logs.all {
            #expect(leaks(line.text).isEmpty, "log line shows the password: \(line.text)")
        }
        for answer in answers {
            #expect(leaks(answer).isEmpty, "API answer shows the password: \(answer)")
        }
        for detail in try await auditDetails(rig.store) {
            #expect(leaks(detail).isEmpty, "audit row shows the password: \(detail)")
        }
        for command in try await rig.commands() {
            #expect(leaks("\(command)").isEmpty, "command record shows the password: \(command)")
        }
    }
}
