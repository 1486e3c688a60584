import Foundation
import Tariffs
import TOMLKit

/// `chargectl`'s own settings file, so an operator need not repeat `--url` and `--token`:
/// `$CHARGECTL_CONFIG`, else `$XDG_CONFIG_HOME/chargectl/config.toml` (`~/.config/…`).
///
/// ```toml
/// url = "http://10.20.0.5:8645"
/// token = "…"            # or: token_file = "/etc/chargecontrol/operator.token"
/// ```
///
/// Flags win over the environment, the environment over this file. A file holding a token must
/// not be readable by group or others (like ssh keys), and unknown keys are refused.
struct ConfigFile: Equatable {
    var url: String?
    var token: String?

    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The file's location from the environment (nil when no home is known).
    static func defaultPath(environment: [String: String]) -> String? {
        if let explicit = environment["CHARGECTL_CONFIG"], !explicit.isEmpty { return explicit }
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["HOME"].map { $0 + "/.config" }
        return base.map { $0 + "/chargectl/config.toml" }
    }

    /// The settings at `path`; an absent file is no settings, a broken one an error naming it.
    static func load(path: String) throws(Problem) -> ConfigFile {
        guard FileManager.default.fileExists(atPath: path) else { return ConfigFile() }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Problem(description: "\(path): cannot read: \(error.localizedDescription)")
        }
        var file = try parse(text, path: path)
        if let tokenFile = file.tokenFile {
            do {
                file.token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw Problem(description: "\(path): token_file: cannot read \(tokenFile)")
            }
        } else if file.token != nil, let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int,
                  mode & 0o077 != 0 {
            throw Problem(description: "\(path): holds a token but is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        return ConfigFile(url: file.url, token: file.token)
    }

    private var tokenFile: String?

    init(url: String? = nil, token: String? = nil) {
        self.url = url
        self.token = token
    }

    static func parse(_ text: String, path: String) throws(Problem) -> ConfigFile {
        let table: TOMLTable
        do {
            table = try SafeTOML.table(from: text)
        } catch {
            throw Problem(description: "\(path): \(error.position.isEmpty ? "" : error.position + ": ")\(error.problem)")
        }
        var file = ConfigFile()
        for (key, value) in table {
            guard let string = value.string else { throw Problem(description: "\(path): \(key): want a string") }
            switch key {
            case "url": file.url = string
            case "token": file.token = string
            case "token_file": file.tokenFile = string
            default: throw Problem(description: "\(path): \(key): unknown key (want url, token or token_file)")
            }
        }
        if file.token != nil && file.tokenFile != nil {
            throw Problem(description: "\(path): token and token_file: give one, not both")
        }
        return file
    }
}
