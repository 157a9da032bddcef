import CourierCore
import CourierCrypto
import Foundation
import Glibc
import Synchronization

/// The filesystem CAS: content lives in `<directory>/sha256/<first 2 hex digits>/<64 hex digits>`.
///
/// Uploads stream to a file in `<directory>/tmp/` while they are hashed; a verified upload is flushed to disk, renamed
/// into place atomically and its directory flushed too, so committed content survives a crash or power loss and a
/// reader never sees a partial file. Files are created 0600 and directories 0700. One server process owns the
/// directory: temporary files left by a crash are deleted when the store is opened.
public struct FileSystemContentStore: ContentStore {
    /// The root directory of the store.
    public let directory: URL
    private let objectsPath: String
    private let temporaryPath: String

    /// Opens (creating it when missing) the store in `directory`, and deletes stale temporary files.
    ///
    /// - Throws: `internal` when the directories cannot be created or cleaned.
    public init(directory: URL) throws {
        self.directory = directory
        objectsPath = directory.appendingPathComponent("sha256").path
        temporaryPath = directory.appendingPathComponent("tmp").path
        do {
            for path in [directory.path, objectsPath, temporaryPath] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            for stale in try FileManager.default.contentsOfDirectory(atPath: temporaryPath) {
                try FileManager.default.removeItem(atPath: temporaryPath + "/" + stale)
            }
        } catch {
            throw CourierError.internal(FileSystemError(operation: "prepare the CAS directory", path: directory.path, detail: "\(error)"))
        }
    }

    public func makeUpload() throws -> any ContentUpload {
        try FileUpload(temporaryPath: temporaryPath + "/" + UUID().uuidString.lowercased(), objectsPath: objectsPath)
    }

    public func contains(_ digest: ContentDigest) throws -> Bool {
        try size(of: digest) != nil
    }

    public func size(of digest: ContentDigest) throws -> Int64? {
        var status = stat()
        let path = Self.objectPath(digest, in: objectsPath)
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return nil }
            throw CourierError.internal(FileSystemError.last("stat", path))
        }
        return Int64(status.st_size)
    }

    public func open(_ digest: ContentDigest) throws -> any ContentReader {
        let path = Self.objectPath(digest, in: objectsPath)
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw CourierError.notFound("No content \(digest) is stored.") }
            throw CourierError.internal(FileSystemError.last("open", path))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = FileSystemError.last("stat", path)
            close(descriptor)
            throw CourierError.internal(error)
        }
        return FileContentReader(descriptor: descriptor, size: Int64(status.st_size))
    }

    static func objectPath(_ digest: ContentDigest, in objectsPath: String) -> String {
        "\(objectsPath)/\(digest.hex.prefix(2))/\(digest.hex)"
    }
}

/// An upload streaming into a temporary file.
private final class FileUpload: ContentUpload {
    private let temporaryPath: String
    private let objectsPath: String
    /// The temporary file, until the upload is committed or aborted.
    private var descriptor: Int32?
    private var hasher: SHA256.Hasher? = SHA256.Hasher()
    private var size: Int64 = 0

    init(temporaryPath: String, objectsPath: String) throws {
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CourierError.internal(FileSystemError.last("create", temporaryPath)) }
        self.temporaryPath = temporaryPath
        self.objectsPath = objectsPath
        self.descriptor = descriptor
    }

    deinit { discard() }

    func write(_ chunk: Data) async throws {
        guard let descriptor else { throw CourierError.internal(FileSystemError(operation: "write", path: temporaryPath, detail: "closed")) }
        try chunk.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw CourierError.internal(FileSystemError.last("write", temporaryPath))
                }
                offset += written
            }
        }
        hasher?.update(chunk)
        size += Int64(chunk.count)
    }

    func commit(expectedDigest: ContentDigest?) async throws -> StoredContent {
        guard let descriptor, let hasher = hasher.take() else {
            throw CourierError.internal(FileSystemError(operation: "commit", path: temporaryPath, detail: "already finished"))
        }
        let digest = ContentDigest(sha256Hex: hasher.finalize().hexString)
        if let expectedDigest, expectedDigest != digest {
            discard()
            throw CourierError.contentDigestMismatch(actual: digest, expected: expectedDigest)
        }
        self.descriptor = nil
        let (temporaryPath, objectsPath) = (self.temporaryPath, self.objectsPath)
        // fsync can take a while on a busy disk: keep it off Swift's cooperative threads.
        try await onDedicatedThread {
            defer { unlink(temporaryPath) }
            guard fsync(descriptor) == 0 else {
                close(descriptor)
                throw CourierError.internal(FileSystemError.last("fsync", temporaryPath))
            }
            close(descriptor)
            let shardPath = "\(objectsPath)/\(digest.hex.prefix(2))"
            if mkdir(shardPath, 0o700) == 0 {
                try syncDirectory(objectsPath)
            } else if errno != EEXIST {
                throw CourierError.internal(FileSystemError.last("mkdir", shardPath))
            }
            let objectPath = FileSystemContentStore.objectPath(digest, in: objectsPath)
            // Identical content is already there: keep it (dedupe).
            guard access(objectPath, F_OK) != 0 else { return }
            guard rename(temporaryPath, objectPath) == 0 else { throw CourierError.internal(FileSystemError.last("rename", objectPath)) }
            try syncDirectory(shardPath)
        }
        return StoredContent(digest: digest, size: size)
    }

    func abort() async {
        discard()
    }

    /// Closes and deletes the temporary file, if the upload still has one.
    private func discard() {
        guard let descriptor else { return }
        self.descriptor = nil
        hasher = nil
        close(descriptor)
        unlink(temporaryPath)
    }
}

/// Reads a stored file in 64 KiB chunks.
private final class FileContentReader: ContentReader {
    static let chunkSize = 64 << 10

    let size: Int64
    /// The open file; `nil` once closed.
    private let descriptor: Mutex<Int32?>

    init(descriptor: Int32, size: Int64) {
        self.descriptor = Mutex(descriptor)
        self.size = size
    }

    deinit { close() }

    func nextChunk() throws -> Data? {
        try descriptor.withLock { descriptor in
            guard let descriptor else { return nil }
            var chunk = Data(count: Self.chunkSize)
            let count = try chunk.withUnsafeMutableBytes { buffer in
                while true {
                    let count = read(descriptor, buffer.baseAddress, buffer.count)
                    if count >= 0 { return count }
                    if errno != EINTR { throw CourierError.internal(FileSystemError.last("read", "descriptor \(descriptor)")) }
                }
            }
            guard count > 0 else { return nil }
            chunk.count = count
            return chunk
        }
    }

    func close() {
        descriptor.withLock { descriptor in
            if let open = descriptor { Glibc.close(open) }
            descriptor = nil
        }
    }
}

/// A failed filesystem call, for logs (the API shows only "Internal server error.").
struct FileSystemError: Error, Sendable, CustomStringConvertible {
    var operation: String
    var path: String
    var detail: String

    /// The error of the call that just failed, from `errno`.
    static func last(_ operation: String, _ path: String) -> FileSystemError {
        FileSystemError(operation: operation, path: path, detail: String(cString: strerror(errno)))
    }

    var description: String { "Cannot \(operation) \(path): \(detail)" }
}

/// Flushes a directory's entries to disk, so a file created or renamed in it survives power loss.
private func syncDirectory(_ path: String) throws {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw CourierError.internal(FileSystemError.last("open", path)) }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else { throw CourierError.internal(FileSystemError.last("fsync", path)) }
}

/// Runs blocking work on a thread of its own, so that it never holds one of Swift's few cooperative threads.
private func onDedicatedThread<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
