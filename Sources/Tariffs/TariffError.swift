/// A tariff file that cannot be used: names the file, the key and the problem, e.g.
/// `tariff.toml: prices[1].peak: "0.56801" has 5 decimals; at most 4 allowed`.
public struct TariffError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as the operator named it.
    public let file: String
    /// The key path (`prices[1].peak`, 0-based indexes), a source position for syntax errors,
    /// or empty when the problem concerns the whole file.
    public let key: String
    /// What is wrong, in words.
    public let problem: String

    public init(file: String, key: String, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        key.isEmpty ? "\(file): \(problem)" : "\(file): \(key): \(problem)"
    }
}
