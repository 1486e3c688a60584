// libFuzzer harness for the tariff file parser (issue 6, fuzzing).
//
// Built by Tests/Fuzz/build.sh: Sources/Tariffs/*.swift compiled with this file (instrumented),
// linked against TOMLKit and its C++ toml++ objects built by SwiftPM in .build-fuzz/spm.
// Any input, valid UTF-8 or not, must give a Tariff or a TariffError; a parsed tariff must answer
// the questions the station asks of it without crashing.
import Foundation
import Tariffs

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTariffFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: data == nil ? 0 : size), as: UTF8.self)
    let tariff: Tariff
    do {
        tariff = try Tariff.parse(text, file: "fuzz.toml")
    } catch {
        _ = error.description
        return 0
    }
    for version in tariff.priceVersions {
        let instant = version.effective
        guard tariff.prices(at: instant) != nil else {
            fatalError("no prices at the effective instant \(instant) of a version of \(tariff.name)")
        }
        _ = tariff.tierYear(containing: instant)
        _ = tariff.schedule.period(at: instant)
    }
    return 0
}
