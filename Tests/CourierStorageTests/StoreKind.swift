import CourierCore
import CourierPostgres
import CourierSQLite
import CourierStorage
import CourierTestSupport
import Foundation

/// A directory under the system's temporary directory, removed when the value is released.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("courier-storage-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// The store backends the conformance suite runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case inMemory
    case sqlite
    /// A fresh database on the tests' PostgreSQL server (`PostgresTestServer`).
    case postgres

    var description: String { rawValue }

    /// A fresh, empty store, and the directory that must outlive it (SQLite only).
    func makeStore() async throws -> (store: any Store, directory: TemporaryDirectory?) {
        switch self {
        case .inMemory:
            return (InMemoryStore(), nil)
        case .sqlite:
            let directory = try TemporaryDirectory()
            return (try await SQLStore.sqlite(path: directory.path("courier.db")), directory)
        case .postgres:
            return (try await SQLStore.postgres(connectionString: try await PostgresTestServer.freshDatabase()), nil)
        }
    }
}
