/// The one version of ChargeControl's executables: `--version` of `chargecontrold`, `chargectl`,
/// `meter-sim` and `chargecontrol-bench`, and `chargecontrol_build_info{version=…}` in `/metrics`.
///
/// A constant, bumped with each release: SwiftPM has no way to stamp the git commit into a build
/// without a build plugin, and a plugin that runs git on every build is not worth it here.
public enum BuildVersion {
    /// The release, e.g. `0.14.0`.
    public static let version = "0.14.0"
}
