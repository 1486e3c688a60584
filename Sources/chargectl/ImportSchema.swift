/// The columns of an import file (the JSON keys of the API call it feeds) and how each row
/// becomes a request body.
struct ImportSchema: Sendable {
    enum Kind: Sendable { case text, integer, boolean }

    /// What the rows are, for messages ("terminals").
    let noun: String
    /// The API path each row is posted to.
    let path: String
    let required: [String]
    let optional: [String]
    let kinds: [String: Kind]

    static let terminals = ImportSchema(noun: "terminals", path: "v1/terminals", required: ["terminal_id", "host", "port"],
                                        optional: [], kinds: ["port": .integer])
    static let accounts = ImportSchema(
        noun: "accounts", path: "v1/accounts",
        required: ["account_id", "meter_address", "terminal_id", "tariff", "region"],
        optional: ["customer_class", "alarm_yuan", "trip_yuan", "protected", "opening_balance_yuan"], kinds: ["protected": .boolean])

    /// Checks the header: every column known, every required one present, none twice.
    func check(header: [String]) throws(ImportRowError) {
        var seen = Set<String>()
        for column in header {
            guard required.contains(column) || optional.contains(column) else {
                throw ImportRowError(line: 1, problem: "unknown column \"\(column)\" (columns: \((required + optional).joined(separator: ", ")))")
            }
            guard seen.insert(column).inserted else { throw ImportRowError(line: 1, problem: "column \"\(column)\" appears twice") }
        }
        let missing = required.filter { !seen.contains($0) }
        guard missing.isEmpty else { throw ImportRowError(line: 1, problem: "missing column(s) \(missing.joined(separator: ", "))") }
    }

    /// The request body of one record. Empty optional cells are left out.
    func body(header: [String], record: CSVFile.Record) throws(ImportRowError) -> JSONObject {
        guard record.fields.count == header.count else {
            throw ImportRowError(line: record.line, problem: "expected \(header.count) fields, found \(record.fields.count)")
        }
        var body: JSONObject = [:]
        for (column, raw) in zip(header, record.fields) {
            let value = raw.trimmingSpaces
            if value.isEmpty {
                if required.contains(column) { throw ImportRowError(line: record.line, problem: "\(column) is empty") }
                continue
            }
            switch kinds[column] ?? .text {
            case .text:
                body[column] = .string(value)
            case .integer:
                guard let n = Int(value) else {
                    throw ImportRowError(line: record.line, problem: "\(column) must be an integer, got \"\(value)\"")
                }
                body[column] = .int(n)
            case .boolean:
                switch value.lowercased() {
                case "true", "yes", "1": body[column] = .bool(true)
                case "false", "no", "0": body[column] = .bool(false)
                default: throw ImportRowError(line: record.line, problem: "\(column) must be true or false, got \"\(value)\"")
                }
            }
        }
        return body
    }
}

/// A line of an import file that could not be imported.
struct ImportRowError: Error, Sendable, Hashable {
    let line: Int
    let problem: String
}
