/// The message for a key that is not allowed where it stands: a close known key is offered as a
/// likely typo (`unknown key (did you mean "collection"?)`), otherwise the known keys are listed.
func unknownKeyMessage(_ key: String, known: [String]) -> String {
    let scored = known.map { (name: $0, distance: editDistance(key.lowercased(), $0.lowercased())) }
    if let best = scored.min(by: { $0.distance < $1.distance }),
        best.distance <= max(1, min(3, best.name.count / 3))
    {
        return "unknown key (did you mean \"\(best.name)\"?)"
    }
    return "unknown key; known keys here: " + known.joined(separator: ", ")
}

/// Levenshtein distance: insertions, deletions and substitutions of characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        previous = current
    }
    return previous[b.count]
}
