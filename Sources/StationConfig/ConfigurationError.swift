/// Why a configuration cannot be used: every problem found, each naming the file, the key and
/// what is wrong, e.g.
/// `/etc/chargecontrol/chargecontrold.toml: dispatch.backoff_max: "5s" is shorter than backoff_initial "10s"`.
///
/// The whole file is checked before this is thrown, so an operator fixes all mistakes in one go.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One mistake at one key.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The file as the operator named it.
        public let file: String
        /// The key path (`control.trip_windows[1]`, 0-based indexes), a source position
        /// (`line 3, column 7`) for syntax errors, or empty when the problem concerns the whole file.
        public let key: String
        /// What is wrong, in words. Never contains a secret.
        public let message: String

        /// A problem at `key` of `file`.
        public init(file: String, key: String, message: String) {
            self.file = file
            self.key = key
            self.message = message
        }

        /// `FILE: KEY: message`, or `FILE: message` without a key.
        public var description: String {
            key.isEmpty ? "\(file): \(message)" : "\(file): \(key): \(message)"
        }
    }

    /// Every problem, in the order of the file's sections; never empty.
    public let problems: [Problem]

    /// An error made of `problems` (at least one).
    public init(problems: [Problem]) {
        self.problems = problems
    }

    /// One problem a line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}

/// Why a single configuration value is unusable; the caller adds the file and the key.
public struct InvalidValue: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the value, in words.
    public let message: String

    /// A refusal saying `message`.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
