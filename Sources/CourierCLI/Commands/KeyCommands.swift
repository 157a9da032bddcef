import CourierCore
import CourierCrypto
import CourierWire
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension CourierCommand {
    /// `courier key`: key pairs that sign attestations, and the organization's verification keys.
    struct KeyCommands: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "key",
            abstract: "Generate signing keys and manage the public keys that verify your organization's attestations.",
            subcommands: [Generate.self, Add.self, List.self]
        )

        /// NAME | KEY ID | ALGORITHM | CREATED AT.
        static func table(_ keys: [KeyDTO]) -> Table {
            Table(
                header: ["NAME", "KEY ID", "ALGORITHM", "CREATED AT"],
                rows: keys.map { [$0.name, $0.keyID, $0.algorithm, Formatting.date($0.createdAt)] }
            )
        }
    }
}

extension CourierCommand.KeyCommands {
    /// `courier key generate --out PREFIX`.
    struct Generate: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "generate",
            abstract: "Generate an ECDSA P-256 key pair: PREFIX.key (private, mode 0600) and PREFIX.pub; no server needed.",
            discussion: """
                Sign pushes with 'courier attestation push --key PREFIX.key'; make the server require such signatures
                with 'courier key add --name NAME --public-key PREFIX.pub'. Existing files are never overwritten.
                """,
            options: [.value("out", valueName: "prefix", help: "Where to write the pair: PREFIX.key and PREFIX.pub.", required: true)]
        )

        /// The written key pair, as `-o json` prints it.
        struct GeneratedKeyPair: Encodable, Equatable {
            var privateKey: String
            var publicKey: String
            /// Hex SHA-256 of the public key's DER form, as `courier key list` shows it.
            var keyID: String
        }

        var prefix: String

        init(prefix: String) {
            self.prefix = prefix
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            prefix = try arguments.required("out")
        }

        func run(in invocation: Invocation) async throws {
            let privatePath = prefix + ".key"
            let publicPath = prefix + ".pub"
            for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
                throw CLIError("\(path) already exists; remove it or choose another --out prefix.")
            }
            let key: SigningKey
            do {
                key = try SigningKey.generate()
            } catch {
                throw CLIError(error.message)
            }
            try Self.createFile(privatePath, contents: key.pemRepresentation, mode: 0o600)
            try Self.createFile(publicPath, contents: key.verificationKey.pemRepresentation, mode: 0o644)
            let pair = GeneratedKeyPair(privateKey: privatePath, publicKey: publicPath, keyID: key.verificationKey.id)
            switch invocation.output {
            case .json:
                try invocation.printJSON(pair)
            case .table:
                invocation.print("Wrote the private key to \(privatePath) (keep it secret) and the public key to \(publicPath).")
                invocation.print("Key ID: \(pair.keyID)")
            }
        }

        /// Creates `path` with `mode`, failing when it exists.
        private static func createFile(_ path: String, contents: String, mode: mode_t) throws(CLIError) {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
            guard descriptor >= 0 else {
                throw CLIError(
                    errno == EEXIST
                        ? "\(path) already exists; remove it or choose another --out prefix."
                        : "Could not create \(path); check that its directory exists and is writable."
                )
            }
            let data = Data(contents.utf8)
            let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            let synced = fsync(descriptor) == 0
            close(descriptor)
            guard written == data.count, synced else {
                unlink(path)
                throw CLIError("Could not write \(path); check the free space of its file system.")
            }
        }
    }

    /// `courier key add --name N --public-key FILE`.
    struct Add: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "add",
            abstract: "Add a public key that verifies your organization's attestations; once any exists, pushes must verify.",
            options: [
                .value("name", help: "The key's name, unique in the organization.", required: true),
                .value(
                    "public-key", valueName: "file", help: "A PEM public key file: ECDSA P-256, Ed25519 or RSA (e.g. from 'courier key generate').",
                    required: true),
            ]
        )

        var name: String
        var publicKeyFile: String

        init(name: String, publicKeyFile: String) {
            self.name = name
            self.publicKeyFile = publicKeyFile
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            name = try arguments.required("name")
            publicKeyFile = try arguments.required("public-key")
        }

        func run(in invocation: Invocation) async throws {
            let client = try invocation.client()
            guard let data = FileManager.default.contents(atPath: publicKeyFile) else {
                throw CLIError("Could not read the public key file \(publicKeyFile); check that it exists and is readable.")
            }
            let key = try await client.addKey(AddKeyRequest(name: name, publicKey: String(decoding: data, as: UTF8.self)))
            switch invocation.output {
            case .json:
                try invocation.printJSON(key)
            case .table:
                invocation.print(CourierCommand.KeyCommands.table([key]))
            }
        }
    }

    /// `courier key list`.
    struct List: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "list",
            aliases: ["ls"],
            abstract: "List the public keys that verify your organization's attestations, by name."
        )

        init(arguments: ParsedArguments) throws(UsageError) {}

        func run(in invocation: Invocation) async throws {
            let keys = try await invocation.client().listKeys().sorted { ($0.name, $0.keyID) < ($1.name, $1.keyID) }
            try invocation.printList(
                keys,
                emptyMessage: "There are no verification keys yet, so unsigned attestations are accepted; "
                    + "add one with 'courier key add --name NAME --public-key FILE'.",
                table: CourierCommand.KeyCommands.table(keys)
            )
        }
    }
}

extension APIClient {
    /// `POST /v1/keys`.
    public func addKey(_ request: AddKeyRequest) async throws(CLIError) -> KeyDTO {
        try await post("/v1/keys", body: request)
    }

    /// `GET /v1/keys`.
    public func listKeys() async throws(CLIError) -> [KeyDTO] {
        try await get("/v1/keys", as: KeyListDTO.self).keys
    }
}
