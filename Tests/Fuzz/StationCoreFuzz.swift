// libFuzzer harness for the money-carrying request bodies, driven through the station core
// against a real in-memory store (issue 17).
//
// Built by Tests/Fuzz/build.sh from the real sources: the bodies and their checks
// (Sources/Station/API/RequestBodies.swift, FieldValidation.swift), the station core and its
// evaluator, and the instrumented Tariffs, ChargeControl and Store modules, with GRDB, swift-crypto
// and swift-log from the main debug build. Nothing is copied or stubbed.
//
// An input is one or more records separated by 0x1E. A record starting with `{` is a payment
// body; otherwise its first byte picks the body (`P` payment, `A` adjustment of account A1 or
// A2, `C` account) and the rest is its JSON. Each input starts from a fresh store holding a
// terminal T1 and accounts A1 (10.00) and A2 (-999999990.00, near the lower bound), so a
// sequence of records can try every sum. After the input: nothing may have trapped, every
// balance must lie within ±AmountBounds.balance and equal the replay of its ledger, and an amount
// that passed the checks must survive formatting and parsing again unchanged.
import ChargeControl
import Dispatch
import Foundation
import GRDB
import Logging
import Store
import Tariffs

private let separator: UInt8 = 0x1E
private let t0 = Date(timeIntervalSince1970: 1_795_000_000)

private let tariffText = """
    name = "flat-test"
    timezone = "Asia/Shanghai"
    [[prices]]
    effective = "2020-01-01T00:00:00+08:00"
    sharp = "100.0000"
    peak = "100.0000"
    flat = "0.5000"
    valley = "0.5000"
    [[periods]]
    start = "00:00"
    register = "flat"
    """

/// A clock that never moves: the harness is about amounts, not time.
private struct FixedClock: StationClock {
    var now: Date { t0 }
    func sleep(until deadline: Date) async throws { try await Task.sleep(for: .milliseconds(1)) }
}

private func rules() throws -> EvaluationRules {
    let tariff = try Tariff.parse(tariffText, file: "flat-test.toml")
    return EvaluationRules(
        tariffs: [tariff.name: tariff],
        policy: ControlPolicy(calendar: try TripCalendar.parse(windows: ["Mon-Sun 00:00-24:00"], holidays: [],
                                                               timeZone: tariff.timeZone)),
        limits: ValidationLimits(), defaultAlarm: AlarmThreshold(Money(microYuan: 20_000_000)), defaultTrip: TripThreshold(.zero),
        reconnectMargin: ReconnectMargin(Money(microYuan: 5_000_000)), commandLifetime: .seconds(86_400),
        maxPayment: AmountBounds.defaultPayment)
}

/// Runs `body` to completion from the fuzzer's (non-cooperative) thread.
private func blocking(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

/// A passed amount formats and parses back to itself.
private func roundTrips(_ amount: Money, _ text: String) {
    let again: Money
    do { again = try Money(yuan: amount.yuanString, maxDecimals: 2) } catch {
        fatalError("\(text) → \(amount.yuanString), which does not parse: \(error)")
    }
    if again != amount { fatalError("\(text) → \(amount.yuanString) → \(again.yuanString)") }
}

/// One record through its body's checks and the core; refusals are expected, traps are not.
private func drive(_ record: ArraySlice<UInt8>, core: StationCore) async {
    guard let first = record.first else { return }
    let json = first == UInt8(ascii: "{") ? Data(record) : Data(record.dropFirst())
    let decoder = JSONDecoder()
    do {
        switch first {
        case UInt8(ascii: "A"):
            let body = try decoder.decode(AdjustmentBody.self, from: json)
            let account = record.count % 2 == 0 ? "A1" : "A2"
            let adjustment = try body.request(account: account)
            roundTrips(adjustment.amount, body.amountYuan)
            _ = try await core.adjust(adjustment)
        case UInt8(ascii: "C"):
            let body = try decoder.decode(AccountBody.self, from: json)
            let provisioning = try body.provisioning()
            provisioning.openingBalance.map { roundTrips($0, body.openingBalanceYuan ?? "") }
            _ = try await core.upsertAccount(provisioning)
        default:
            let body = try decoder.decode(PaymentBody.self, from: json)
            let payment = try body.request(now: t0)
            roundTrips(payment.amount, body.amountYuan)
            _ = try await core.pay(payment)
        }
    } catch {
        // A refusal must say something: an empty message would leave an operator guessing.
        if "\(error)".isEmpty { fatalError("an error without a message: \(type(of: error))") }
    }
}

/// The store every input starts from (terminal T1, accounts A1 and A2), built once: each input
/// gets a copy, which is many times faster than migrating and provisioning again.
private let template: StationStore? = {
    nonisolated(unsafe) var made: StationStore?
    blocking {
        do {
            let store = try StationStore.inMemory()
            let core = try station(store)
            try await core.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100))
            for (id, opening) in [("A1", 10_000_000), ("A2", -999_999_990_000_000)] as [(String, Int64)] {
                _ = try await core.upsertAccount(AccountProvisioning(
                    accountID: id, meterAddress: id == "A1" ? "000000000001" : "000000000002", terminalID: "T1",
                    tariff: "flat-test", region: "north", openingBalance: Money(microYuan: opening)))
            }
            made = store
        } catch {
            fatalError("the harness's template store: \(error)")
        }
    }
    return made
}()

private func station(_ store: StationStore) throws -> StationCore {
    StationCore(store: store, evaluator: Evaluator(rules: try rules()), clock: FixedClock(),
                logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStationCore(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, let template else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    blocking {
        do {
            // The template's copy, migrated already: StationStore only checks that it is.
            var configuration = Configuration()
            configuration.foreignKeysEnabled = true
            let copy = try DatabaseQueue(configuration: configuration)
            guard let source = template.writer.sqlite else { fatalError("the template is a SQLite store") }
            try source.backup(to: copy)
            let store = try StationStore(writer: copy)
            let core = try station(store)
            for record in bytes.split(separator: separator) { await drive(record, core: core) }
            for account in try await store.allAccounts() where account.balance.microYuan.magnitude > AmountBounds.balance.microYuan.magnitude {
                fatalError("account \(account.id): balance \(account.balance.yuanString) is out of bounds")
            }
            let mismatches = try await store.verifyBalances()
            if !mismatches.isEmpty { fatalError("balances differ from the ledger replay: \(mismatches)") }
        } catch {
            fatalError("the harness's own set-up or checks failed: \(error)")
        }
    }
    return 0
}
