import Foundation

/// Where the built `meter-sim` and `chargecontrold` are: debug builds next to the tests (STACK.md
/// pitfall 15: `swift build --build-tests` builds every product into the folder the test bundle
/// is in), release builds next to the bench.
public struct StationBinaries: Sendable {
    /// The folder holding both executables.
    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    /// The checkout this harness was built from (for `Config/tariffs`).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The checkout's tariff folder, copied into every station.
    public static var tariffsFolder: URL { repositoryRoot.appendingPathComponent("Config/tariffs") }

    /// The folder of the running test bundle (or one above it), else the checkout's
    /// `.build/debug`; nil when neither holds both executables.
    public static let nextToTests: StationBinaries? = {
        var candidates: [URL] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(repositoryRoot.appendingPathComponent(".build/debug"))
        return candidates.first(where: holdsBoth).map(StationBinaries.init(folder:))
    }()

    /// The folder of the running executable (`swift build -c release` puts all products there).
    public static var nextToExecutable: StationBinaries {
        StationBinaries(folder: (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent())
    }

    /// Whether both executables are built in this folder.
    public var available: Bool { Self.holdsBoth(folder) }

    public func url(_ name: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw HarnessFailure("\(name) is not built in \(folder.path): run `swift build --build-tests` (tests) "
                + "or `swift build -c release` (bench)")
        }
        return url
    }

    private static func holdsBoth(_ folder: URL) -> Bool {
        ["meter-sim", "chargecontrold"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path)
        }
    }
}
