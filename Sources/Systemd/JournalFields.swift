/// Journal field names: `[A-Z0-9_]`, at most 64 characters, not starting with `_` or a digit.
/// journald silently drops any other name, so metadata keys are mapped (`meter` → `METER`,
/// `command-id` → `COMMAND_ID`).
public enum JournalFieldName {
    public static let maxLength = 64

    /// The journal field for a metadata key, or nil when nothing usable is left.
    public static func sanitize(_ key: String) -> String? {
        var out = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            // ASCII: the upper-case letter is 32 below; UInt8 makes the scalar without a failable init.
            case "a"..."z": out.unicodeScalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: scalar.value - 32)))
            case "A"..."Z", "0"..."9", "_": out.unicodeScalars.append(scalar)
            default: out.append("_")
            }
        }
        // Leading underscores are trusted fields set by journald itself; leading digits are invalid.
        while let first = out.first, first == "_" || first.isNumber { out.removeFirst() }
        if out.count > maxLength { out = String(out.prefix(maxLength)) }
        return out.isEmpty ? nil : out
    }
}
