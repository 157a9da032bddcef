/// Options of `courier serve`, as parsed by the command line.
public struct ServeOptions: Sendable, Equatable {
    /// `HOST:PORT`; port 0 picks a free port.
    public var listen: String = "127.0.0.1:8080"
    /// Data directory: database, CAS, master key and `owner.token`. Default `./.courier` or `COURIER_DATA_DIR`.
    public var dataDirectory: String?
    /// Database URL, default `sqlite:<data-dir>/courier.db`.
    public var database: String?
    /// CAS URL, default `file:<data-dir>/cas`.
    public var cas: String?
    /// Re-encrypt all credentials under a new master key before serving.
    public var rotateMasterKey: Bool

    public init(
        listen: String = "127.0.0.1:8080",
        dataDirectory: String? = nil,
        database: String? = nil,
        cas: String? = nil,
        rotateMasterKey: Bool = false
    ) {
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.database = database
        self.cas = cas
        self.rotateMasterKey = rotateMasterKey
    }
}
