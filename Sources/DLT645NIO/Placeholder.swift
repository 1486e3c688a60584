// DLT645NIO: work in progress.
