import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// File steps that must survive a power cut: a file's bytes reach the disk (fsync) before it is
/// renamed into place, and the rename itself is made durable by an fsync of its folder.
enum DurableFile {
    /// fsyncs the file (or folder) at `path`.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BackupError("cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BackupError("cannot sync \(path): \(String(cString: strerror(errno)))") }
    }

    /// Renames `from` to `to` atomically (same folder or file system), then syncs the folders.
    static func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else {
            throw BackupError("cannot rename \(from) to \(to): \(String(cString: strerror(errno)))")
        }
        let folders = Set([from, to].map { ($0 as NSString).deletingLastPathComponent }).map { $0.isEmpty ? "." : $0 }
        for folder in folders { try sync(folder) }
    }
}
