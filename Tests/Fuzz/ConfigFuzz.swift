// libFuzzer harness for the daemon configuration parser (issue 6, fuzzing).
//
// Built by Tests/Fuzz/build.sh: Sources/{Tariffs,ChargeControl,StationConfig} compiled as
// instrumented modules, linked against TOMLKit (with toml++) and swift-log built by SwiftPM in
// .build-fuzz/spm. Any input must give a configuration or a ConfigurationError (`parse` reads no
// files); a parsed configuration must describe itself without crashing.
import StationConfig

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStationConfiguration(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: data == nil ? 0 : size), as: UTF8.self)
    do {
        let configuration = try StationConfiguration.parse(text, file: "/etc/chargecontrol/chargecontrold.toml")
        _ = configuration
    } catch {
        _ = error.description
    }
    return 0
}
