import Foundation
import TOMLKit

/// One table of the configuration and its key path (`collection`, `collection.classes.rural`);
/// an absent table reads as empty, so every key takes its default.
struct Section {
    let path: String
    let table: TOMLTable

    /// The full key path of `name` in this table.
    func key(_ name: String) -> String { path.isEmpty ? name : path + "." + name }

    /// Whether the file sets `name` here.
    func has(_ name: String) -> Bool { table[name] != nil }
}

/// Walks one configuration file's TOML tree and collects every problem with its key path rather
/// than stopping at the first, so that one run of `--check-config` shows them all.
///
/// Readers return the default for an absent key and, after reporting, also for a bad one, so the
/// walk continues; ``isValid(_:)`` tells cross-checks (backoff_max ≥ backoff_initial) whether
/// their inputs were good, so one mistake is not reported twice.
final class TableReader {
    let file: String
    /// The folder relative paths are resolved against: the configuration file's own.
    let baseDirectory: URL
    private(set) var problems: [ConfigurationError.Problem] = []
    private var badKeys: Set<String> = []

    init(file: String) {
        self.file = file
        self.baseDirectory = URL(fileURLWithPath: file).deletingLastPathComponent()
    }

    // MARK: problems

    func report(_ key: String, _ message: String) {
        problems.append(ConfigurationError.Problem(file: file, key: key, message: message))
        badKeys.insert(key)
    }

    /// Whether none of `keys` was reported.
    func isValid(_ keys: String...) -> Bool { keys.allSatisfy { !badKeys.contains($0) } }

    // MARK: tables

    /// Reports every key of `section` that is not in `known`.
    func refuseUnknownKeys(_ section: Section, known: [String]) {
        for name in section.table.keys.sorted() where !known.contains(name) {
            report(section.key(name), unknownKeyMessage(name, known: known))
        }
    }

    /// The table `[parent.name]` with only `known` keys; empty when absent or not a table.
    func section(_ parent: Section, _ name: String, known: [String]) -> Section {
        let path = parent.key(name)
        guard let value = parent.table[name] else { return Section(path: path, table: TOMLTable()) }
        guard let table = value.table else {
            report(path, "want a table [\(path)], found \(kind(value))")
            return Section(path: path, table: TOMLTable())
        }
        let section = Section(path: path, table: table)
        refuseUnknownKeys(section, known: known)
        return section
    }

    /// The sub-tables of `[parent.name]`, one per named entry (`[collection.classes.rural]`),
    /// sorted by name; names must be lower-case letters, digits, `_` or `-`.
    func namedSections(_ parent: Section, _ name: String, known: [String]) -> [(name: String, section: Section)] {
        let holder = section(parent, name, known: parent.table[name]?.table?.keys ?? [])
        var result: [(name: String, section: Section)] = []
        for entry in holder.table.keys.sorted() {
            guard isClassName(entry) else {
                report(holder.key(entry), "\"\(entry)\" is not a class name; use lower-case letters, digits, _ and -")
                continue
            }
            result.append((entry, section(holder, entry, known: known)))
        }
        return result
    }

    // MARK: values

    /// The string at `name`; nil when absent, or when it is not a string (reported).
    func string(_ section: Section, _ name: String, example: String) -> String? {
        guard let value = section.table[name] else { return nil }
        guard let text = value.string else {
            report(section.key(name), "want a string such as \"\(example)\", found \(kind(value))")
            return nil
        }
        return text
    }

    /// The string at `name` turned into a value by `parse`; `fallback` when absent or bad
    /// (reported with the key).
    func value<T>(
        _ section: Section, _ name: String, default fallback: T, example: String,
        _ parse: (String) throws(InvalidValue) -> T
    ) -> T {
        guard let text = string(section, name, example: example) else { return fallback }
        do {
            return try parse(text)
        } catch {
            report(section.key(name), error.message)
            return fallback
        }
    }

    /// The integer at `name`, at least `minimum`; `fallback` when absent or bad.
    func integer(_ section: Section, _ name: String, default fallback: Int, minimum: Int) -> Int {
        guard let value = section.table[name] else { return fallback }
        guard let number = value.int else {
            report(section.key(name), "want an integer such as \(fallback), found \(kind(value))")
            return fallback
        }
        guard number >= minimum else {
            report(section.key(name), "\(number) is too small; want at least \(minimum)")
            return fallback
        }
        return number
    }

    /// The boolean at `name`; `fallback` when absent or bad.
    func boolean(_ section: Section, _ name: String, default fallback: Bool) -> Bool {
        guard let value = section.table[name] else { return fallback }
        guard let flag = value.bool else {
            report(section.key(name), "want true or false, found \(kind(value))")
            return fallback
        }
        return flag
    }

    /// The array of strings at `name`; `fallback` when absent; bad elements are reported as
    /// `name[i]` and left out.
    func strings(_ section: Section, _ name: String, default fallback: [String], example: String) -> [String] {
        guard let value = section.table[name] else { return fallback }
        guard let array = value.array else {
            report(section.key(name), "want an array of strings such as [\"\(example)\"], found \(kind(value))")
            return fallback
        }
        var result: [String] = []
        for index in 0..<array.count {
            guard let text = array[index].string else {
                report(section.key(name) + "[\(index)]", "want a string such as \"\(example)\", found \(kind(array[index]))")
                continue
            }
            result.append(text)
        }
        return result
    }

    /// A file or folder path; relative paths are taken from the configuration file's folder.
    /// `verbatim`: the value is not a path and is kept as written (a database URL); it throws
    /// `InvalidValue` naming what is wrong with one.
    func path(_ section: Section, _ name: String, default fallback: String,
              verbatim: (String) throws(InvalidValue) -> Bool = { _ in false }) -> String {
        value(section, name, default: fallback, example: fallback) { (text: String) throws(InvalidValue) -> String in
            guard !text.isEmpty else { throw InvalidValue("must not be empty") }
            if try verbatim(text) { return text }
            return resolve(text, against: baseDirectory)
        }
    }

    /// A duration at `name`; zero is refused unless `allowZero`.
    func duration(_ section: Section, _ name: String, default fallback: Duration, allowZero: Bool = false) -> Duration {
        value(section, name, default: fallback, example: fallback.configText) { (text: String) throws(InvalidValue) -> Duration in
            let duration = try Duration(configText: text)
            guard allowZero || duration > .zero else { throw InvalidValue("\"\(text)\" must be longer than zero") }
            return duration
        }
    }

    // MARK: helpers

    private func kind(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .table: "a table"
        case .array: "an array"
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .date, .time, .dateTime: "a TOML date/time"
        }
    }

    private func isClassName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}

/// `text` as an absolute, standardised path: relative paths are taken from `base`
/// (`"../Config/tariffs"` in `/repo/Config/demo.toml` is `/repo/Config/tariffs`).
func resolve(_ text: String, against base: URL) -> String {
    let url = text.hasPrefix("/") ? URL(fileURLWithPath: text) : base.appendingPathComponent(text)
    return url.standardizedFileURL.path
}
