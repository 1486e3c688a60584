#if canImport(Glibc)
import Glibc
#endif

/// glibc gives each thread that contends for the allocator its own arena, up to eight per core,
/// and memory freed into one arena is not reused by another. The daemon's threads (NIO event
/// loops, Dispatch workers, the SQLite writer) all allocate, so resident memory grew with the
/// number of arenas rather than with the accounts. Two arenas serve a two-core station; the
/// allocator is not the bottleneck (the store and the lines are).
///
/// `mallopt` is declared in `<malloc.h>`, which the Glibc module does not export: it is looked
/// up by name (absent on other C libraries, where this does nothing).
enum MemoryArenas {
    /// `M_ARENA_MAX` in `<malloc.h>`.
    private static let arenaMaxParameter: Int32 = -8

    static func limit(to count: Int32 = 2) {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(arenaMaxParameter, count)
        #endif
    }
}
