import Foundation

/// Reads the API tokens file: one `ROLE NAME TOKEN` a line (INTERFACES.md v2 "Operators"; the
/// name is the actor in the audit trail and the journal), or the older `ROLE TOKEN`, named after
/// its role; `#` starts a comment line, blank lines are ignored. The file holds secrets, so one
/// that its group or others may read is refused.
public enum TokensFile {
    /// The shortest token accepted: shorter ones are guessable.
    public static let minimumTokenLength = 16
    /// The longest name accepted (it goes into every audit row the token's requests write).
    public static let maximumNameLength = 64

    /// Loads and checks `path`.
    public static func load(path: String) throws(TokensFileError) -> APITokens {
        let mode: Int
        let text: String
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(file: path, reason: (error as NSError).localizedDescription)
        }
        guard mode & 0o077 == 0 else { throw .tooOpen(file: path, mode: mode) }
        return try parse(text, file: path)
    }

    /// Parses the text of a tokens file; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(TokensFileError) -> APITokens {
        var entries: [(caller: APICaller, token: String)] = []
        var lines: [String: Int] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let content = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if content.isEmpty || content.hasPrefix("#") { continue }
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 2 || fields.count == 3 else {
                throw .malformed(file: file, line: line,
                                 problem: "expected \"ROLE NAME TOKEN\" (or \"ROLE TOKEN\"), found \(fields.count) fields")
            }
            guard let role = APIRole(rawValue: fields[0]) else {
                let known = APIRole.allCases.map(\.rawValue).joined(separator: ", ")
                throw .malformed(file: file, line: line, problem: "unknown role \"\(fields[0])\" (one of \(known))")
            }
            let name = fields.count == 3 ? fields[1] : role.rawValue
            if let problem = nameProblem(name) { throw .malformed(file: file, line: line, problem: problem) }
            let token = fields[fields.count - 1]
            guard token.count >= minimumTokenLength else {
                throw .malformed(file: file, line: line,
                                 problem: "token shorter than \(minimumTokenLength) characters")
            }
            if let first = lines[token] {
                throw .malformed(file: file, line: line, problem: "duplicate token (first on line \(first))")
            }
            lines[token] = line
            entries.append((APICaller(role: role, name: name), token))
        }
        guard !entries.isEmpty else { throw .empty(file: file) }
        return APITokens(entries)
    }

    /// Why `name` cannot name a token, or nil: it goes into the journal and the audit trail, so
    /// only letters, digits and `.`, `_`, `-`, `@`.
    static func nameProblem(_ name: String) -> String? {
        guard name.count <= maximumNameLength else { return "name longer than \(maximumNameLength) characters" }
        let allowed = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-@".unicodeScalars.contains($0)) }
        return allowed ? nil : "name \"\(name)\" may hold only letters, digits and . _ - @"
    }
}

/// Why a tokens file was refused. Messages name the file and line, never a token.
public enum TokensFileError: Error, Sendable, Hashable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case tooOpen(file: String, mode: Int)
    case malformed(file: String, line: Int, problem: String)
    case empty(file: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            "\(file): cannot read the tokens file: \(reason)"
        case .tooOpen(let file, let mode):
            "\(file): tokens file is readable by group or others (mode \(String(format: "%04o", mode & 0o7777))); chmod 600 it"
        case .malformed(let file, let line, let problem):
            "\(file):\(line): \(problem)"
        case .empty(let file):
            "\(file): no tokens (one \"ROLE NAME TOKEN\" a line)"
        }
    }
}
