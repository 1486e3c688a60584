// swift-tools-version: 6.2
// ChargeControl: a prepaid charge-control master station. See ../shared/docs/DESIGN.md for the
// module map; pure cores (DLT645, Tariffs, ChargeControl) have no I/O dependencies.
import PackageDescription

let package = Package(
    name: "ChargeControl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "meter-sim", targets: ["meter-sim"]),
        .executable(name: "chargecontrold", targets: ["chargecontrold"]),
        .executable(name: "chargectl", targets: ["chargectl"]),
        .executable(name: "chargecontrol-bench", targets: ["chargecontrol-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
    ],
    targets: [
        // MARK: a seeded generator shared by the simulator and the property tests
        .target(name: "SeededRandom"),

        // MARK: the version every executable and /metrics report
        .target(name: "BuildVersion"),

        // MARK: helpers for running the station's processes on loopback (bench and process tests)
        .target(name: "LoopbackTools"),

        // MARK: the station's processes driven from outside (process tests, crash rounds, fault soak, bench)
        .target(
            name: "StationHarness",
            dependencies: ["LoopbackTools", "SeededRandom", "DLT645", "ChargeControl", "Store", "StorePostgres", "StationConfig"]
        ),

        // MARK: the one "sleep until a deadline or a wake-up" of the loops (lines, collector, dispatcher, notifier)
        .target(name: "Wakeup"),

        // MARK: wire format (pure)
        .target(name: "DLT645"),
        .target(
            name: "DLT645NIO",
            dependencies: [
                "DLT645", "Wakeup",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // MARK: operating system integration
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "Systemd", dependencies: [
            "CSystemd", .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // MARK: rules (pure)
        .target(name: "Tariffs", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")]),
        .target(name: "ChargeControl", dependencies: ["Tariffs"]),

        // MARK: configuration
        .target(
            name: "StationConfig",
            dependencies: [
                "Tariffs", "ChargeControl",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: storage
        .target(
            name: "Store",
            dependencies: [
                "Tariffs", "ChargeControl",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API for the hot path's statements (`ReadingRow`).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The PostgreSQL engine (issue 16) and what moves a station between engines.
        .target(
            name: "StorePostgres",
            dependencies: [
                "Store", "StationConfig",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: the running station
        .target(
            name: "Station",
            dependencies: [
                "DLT645", "DLT645NIO", "Tariffs", "ChargeControl", "Store", "StorePostgres", "Wakeup", "StationConfig", "Systemd", "BuildVersion",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // MARK: simulator
        .target(
            name: "MeterSim",
            dependencies: [
                "SeededRandom",
                "DLT645",
                "DLT645NIO",
                "Tariffs",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),

        // MARK: executables
        .executableTarget(
            name: "meter-sim",
            dependencies: ["MeterSim", "BuildVersion", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "chargecontrold",
            dependencies: [
                "Station", "StationConfig", "Store", "StorePostgres", "Systemd", "Tariffs", "BuildVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "chargectl",
            dependencies: [
                "Tariffs", "ChargeControl", "DLT645", "DLT645NIO", "BuildVersion",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "chargecontrol-bench",
            dependencies: [
                "Tariffs", "ChargeControl", "DLT645", "LoopbackTools", "Station", "StationConfig", "Store", "StorePostgres", "StationHarness", "BuildVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The SQLite C API alone, for p7's raw-insert baseline: the bench reads the store through its methods.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: tests
        .testTarget(name: "DLT645Tests", dependencies: ["DLT645", "SeededRandom"]),
        .testTarget(
            name: "DLT645NIOTests",
            dependencies: [
                "DLT645", "DLT645NIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "MeterSimTests",
            dependencies: [
                "LoopbackTools",
                "MeterSim", "DLT645", "DLT645NIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", "LoopbackTools", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "StorePostgres", "StationConfig", "Tariffs", "ChargeControl", "LoopbackTools", .product(name: "GRDB", package: "GRDB.swift"),
                                                     .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(
            name: "StationTests",
            dependencies: [
                "Station", "Store", "Tariffs", "ChargeControl", "DLT645", "DLT645NIO", "MeterSim", "Systemd", "LoopbackTools", "BuildVersion",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "ChargeCtlTests", dependencies: ["chargectl"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["StationHarness", "Store", "StorePostgres", "StationConfig", "ChargeControl", "Tariffs", "SeededRandom", "BuildVersion",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "TariffsTests", dependencies: ["Tariffs", "SeededRandom"]),
        .testTarget(name: "ChargeControlTests", dependencies: ["ChargeControl", "Tariffs", "SeededRandom"]),
        .testTarget(name: "StationConfigTests", dependencies: ["StationConfig", "ChargeControl", "Tariffs"]),
    ],
    swiftLanguageModes: [.v6]
)
