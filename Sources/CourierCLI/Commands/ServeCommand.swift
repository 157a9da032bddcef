import CourierServer

extension CourierCommand {
    /// `courier serve`: runs the server until SIGTERM or SIGINT.
    struct Serve: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "serve",
            abstract: "Run the Courier server until SIGTERM or SIGINT.",
            discussion: """
                When ready it prints 'courier listening on http://HOST:PORT'. On first start with an empty store it creates \
                organization 'default' and writes an owner token to <data-dir>/owner.token.
                """,
            options: [
                .value("listen", valueName: "host:port", help: "Address to listen on (default 127.0.0.1:8080; port 0 picks a free port)."),
                .value("data-dir", valueName: "dir", help: "Data directory (env COURIER_DATA_DIR; default ./.courier)."),
                .value("database", valueName: "url", help: "Database URL (default sqlite:<data-dir>/courier.db)."),
                .value("cas", valueName: "url", help: "Content-addressed store URL (default file:<data-dir>/cas)."),
                .flag(
                    "rotate-master-key",
                    help: "Before serving, re-encrypt all credentials under a new master key (or under COURIER_MASTER_KEY when set)."
                ),
            ]
        )

        var listen: String?
        var dataDirectory: String?
        var database: String?
        var cas: String?
        var rotateMasterKey = false

        init(listen: String? = nil, dataDirectory: String? = nil, database: String? = nil, cas: String? = nil, rotateMasterKey: Bool = false) {
            self.listen = listen
            self.dataDirectory = dataDirectory
            self.database = database
            self.cas = cas
            self.rotateMasterKey = rotateMasterKey
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            listen = arguments.value("listen")
            dataDirectory = arguments.value("data-dir")
            database = arguments.value("database")
            cas = arguments.value("cas")
            rotateMasterKey = arguments.flag("rotate-master-key")
            if let listen {
                let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count >= 2, let port = parts.last.flatMap({ Int($0) }), (0...65535).contains(port) else {
                    throw UsageError("Invalid value '\(listen)' for '--listen <host:port>'; use for example 127.0.0.1:8080.")
                }
            }
        }

        func run(in invocation: Invocation) async throws {
            var options = ServeOptions(
                dataDirectory: dataDirectory ?? invocation.context.environment.variable("COURIER_DATA_DIR"),
                database: database,
                cas: cas,
                rotateMasterKey: rotateMasterKey
            )
            if let listen {
                options.listen = listen
            }
            let status = await invocation.context.serve(options)
            if status != 0 {
                throw ExitCode(status)
            }
        }
    }
}
