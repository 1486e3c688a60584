import Foundation

/// Plain text tables and key/value lists for humans.
enum TextTable {
    /// Columns padded to their widest cell, a header line, then the rows.
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// `key: value` lines with the values aligned.
    static func pairs(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { key, value in (key + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + " " + value }
            .joined(separator: "\n")
    }

    /// A JSON value as a cell: strings as they are, null as "-".
    static func cell(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: "-"
        case let s as String: s
        // Foundation on Linux hands numbers back as NSNumber, which also casts to Bool: tell a
        // JSON true/false (type encoding "c") from a 0 or 1 by its encoding.
        case let n as NSNumber where String(cString: n.objCType) == "c": n.boolValue ? "yes" : "no"
        case let n as NSNumber where String(cString: n.objCType) != "d" && String(cString: n.objCType) != "f": String(n.int64Value)
        case let b as Bool: b ? "yes" : "no"
        case let other?: "\(other)"
        }
    }
}
