import Foundation

/// A one-line progress bar on standard error, drawn only when standard error is a terminal.
struct ProgressBar {
    let label: String
    let total: Int
    let enabled: Bool
    private var lastDrawn = -1

    init(label: String, total: Int, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    /// The bar for `done` of `total` items.
    static func line(label: String, done: Int, total: Int, width: Int = 30) -> String {
        let filled = total == 0 ? width : min(width, done * width / total)
        return "\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(done)/\(total)"
    }

    mutating func update(_ done: Int) {
        guard enabled, done != lastDrawn else { return }
        lastDrawn = done
        FileHandle.standardError.write(Data(("\r" + Self.line(label: label, done: done, total: total)).utf8))
    }

    /// Clears the bar so that messages that follow start on a clean line.
    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
