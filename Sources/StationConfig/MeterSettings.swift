/// `[meters]`: what the station says to a meter when it controls it.
public struct MeterSettings: Sendable, Hashable {
    /// The default control password, level byte first. Default `02000000`. Never printed.
    public var password: MeterPassword
    /// The operator code meters record in their control logs. Default `00000001`.
    public var operatorCode: OperatorCodeText
    /// How far a meter's clock may be off before the station corrects it. Default 60 s.
    public var clockTolerance: Duration
    /// How long a live read (`GET /v1/meters/ADDR/live`) may take before it answers 504. Default 5 s.
    public var liveReadTimeout: Duration = .seconds(5)

    static let keys = ["password", "operator", "clock_tolerance", "live_read_timeout"]

    static func read(_ root: Section, _ reader: TableReader) -> MeterSettings {
        let section = reader.section(root, "meters", known: keys)
        var settings = MeterSettings(
            password: reader.value(section, "password", default: MeterPassword(trusted: "02000000"), example: "02000000") {
                (text: String) throws(InvalidValue) -> MeterPassword in try MeterPassword(text)
            },
            operatorCode: reader.value(section, "operator", default: OperatorCodeText(trusted: "00000001"), example: "00000001") {
                (text: String) throws(InvalidValue) -> OperatorCodeText in try OperatorCodeText(text)
            },
            clockTolerance: reader.duration(section, "clock_tolerance", default: .seconds(60))
        )
        settings.liveReadTimeout = reader.duration(section, "live_read_timeout", default: .seconds(5))
        return settings
    }
}

extension MeterPassword {
    /// A known-good password, for defaults.
    init(trusted hexDigits: String) { self.secretHexDigits = hexDigits }
}

extension OperatorCodeText {
    /// A known-good code, for defaults.
    init(trusted hexDigits: String) { self.hexDigits = hexDigits }
}
