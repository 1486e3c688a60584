/// `[meters]`: what the station says to a meter when it controls it.
public struct MeterSettings: Sendable, Hashable {
    /// The default control password, level byte first. Default `02000000`. Never printed.
    public var password: MeterPassword
    /// The operator code meters record in their control logs. Default `00000001`.
    public var operatorCode: OperatorCodeText
    /// How far a meter's clock may be off before the station corrects it. Default 60 s.
    public var clockTolerance: Duration

    static let keys = ["password", "operator", "clock_tolerance"]

    static func read(_ root: Section, _ reader: TableReader) -> MeterSettings {
        let section = reader.section(root, "meters", known: keys)
        return MeterSettings(
            password: reader.value(section, "password", default: MeterPassword(trusted: "02000000"), example: "02000000") {
                (text: String) throws(InvalidValue) -> MeterPassword in try MeterPassword(text)
            },
            operatorCode: reader.value(section, "operator", default: OperatorCodeText(trusted: "00000001"), example: "00000001") {
                (text: String) throws(InvalidValue) -> OperatorCodeText in try OperatorCodeText(text)
            },
            clockTolerance: reader.duration(section, "clock_tolerance", default: .seconds(60))
        )
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
