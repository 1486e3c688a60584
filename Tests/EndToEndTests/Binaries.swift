import Foundation
import StationHarness

/// Whether the process tests can run: `swift build --build-tests` (what `make test` does)
/// builds meter-sim and chargecontrold next to the test bundle.
enum Binaries {
    static var available: Bool {
        if StationBinaries.nextToTests == nil {
            print("EndToEndTests skipped: meter-sim and chargecontrold are not built next to the tests; run `swift build --build-tests` (make test does)")
        }
        return StationBinaries.nextToTests != nil
    }
}

/// A whole number from the environment (the Makefile's long runs set them), or `fallback`.
func environmentNumber(_ name: String, default fallback: Int) -> Int {
    ProcessInfo.processInfo.environment[name].flatMap { Int($0) } ?? fallback
}
