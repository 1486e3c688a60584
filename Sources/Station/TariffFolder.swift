import Foundation
import Tariffs

/// Loads every `*.toml` tariff in a folder, keyed by the tariff's `name`.
public enum TariffFolder {
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    /// All tariffs of `folder`; every bad file is reported (one per line), and two files with
    /// the same `name` are refused.
    public static func load(_ folder: String) throws(Problem) -> [String: Tariff] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".toml") }.sorted()
        } catch {
            throw Problem(description: "\(folder): cannot list the tariffs folder: \(error.localizedDescription)")
        }
        var tariffs: [String: Tariff] = [:]
        var origin: [String: String] = [:]
        var problems: [String] = []
        for file in files {
            let path = (folder as NSString).appendingPathComponent(file)
            do {
                let tariff = try Tariff.load(path: path)
                if let first = origin[tariff.name] {
                    problems.append("\(path): name \"\(tariff.name)\" is already used by \(first)")
                    continue
                }
                tariffs[tariff.name] = tariff
                origin[tariff.name] = path
            } catch {
                problems.append(error.description)
            }
        }
        guard problems.isEmpty else { throw Problem(description: problems.joined(separator: "\n")) }
        guard !tariffs.isEmpty else { throw Problem(description: "\(folder): no tariff files (*.toml)") }
        return tariffs
    }
}
