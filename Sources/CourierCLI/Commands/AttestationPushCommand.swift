import CourierAttestation
import CourierCore
import CourierWire
import Foundation

extension CourierCommand.AttestationCommands {
    /// `courier attestation push --workflow W --project P (--material NAME:TYPE=PATH ... | --envelope FILE ...)`.
    struct Push: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "push",
            abstract: "Push the attestation of a workflow run, uploading its material files to CAS.",
            discussion: """
                With --material, courier crafts the Chainloop v0.2 attestation itself: each file material is hashed and
                uploaded to CAS unless the server already has it, then the in-toto statement is wrapped in a DSSE envelope,
                signed with --key if given, and pushed. With --envelope, it pushes an envelope or Sigstore bundle made by
                another tool (e.g. Chainloop's CLI) unchanged, first uploading each --material-file the attestation
                references by digest. Either way it prints the attestation's digest.
                """,
            options: [
                .value("workflow", help: "The workflow the run belongs to.", required: true),
                .value("project", help: "The workflow's project.", required: true),
                .value("material", valueName: "name:type=path", help: MaterialArgument.optionHelp, repeatable: true),
                .value("annotation", valueName: "key=value", help: "An annotation of the attestation (with --material).", repeatable: true),
                .value("key", valueName: "file", help: "Sign with this PEM private key, e.g. PREFIX.key from 'courier key generate'."),
                .value("envelope", valueName: "file", help: "Push this DSSE envelope or Sigstore bundle instead of crafting one."),
                .value(
                    "material-file", valueName: "path", help: "A file the --envelope references by digest, uploaded to CAS.", repeatable: true),
            ],
            usage: "--workflow <workflow> --project <project> (--material <name:type=path> ... [--annotation <key=value> ...] "
                + "[--key <file>] | --envelope <file> [--material-file <path> ...])"
        )

        /// What is pushed.
        enum Attestation: Sendable, Equatable {
            /// An attestation crafted from materials and annotations, signed with the key file when given.
            case crafted(materials: [MaterialArgument], annotations: [String: String], keyFile: String?)
            /// An envelope or bundle file, pushed unchanged after uploading the material files it references.
            case document(path: String, materialFiles: [String])
        }

        var workflow: String
        var project: String
        var attestation: Attestation

        init(workflow: String, project: String, attestation: Attestation) {
            self.workflow = workflow
            self.project = project
            self.attestation = attestation
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            workflow = try arguments.required("workflow")
            project = try arguments.required("project")
            let materials = arguments.values("material")
            switch (materials.isEmpty, arguments.value("envelope")) {
            case (false, .some):
                throw UsageError("Pass '--material <name:type=path>' or '--envelope <file>', not both.")
            case (true, nil):
                throw UsageError("Missing required option '--material <name:type=path>' or '--envelope <file>'.")
            case (false, nil):
                if !arguments.values("material-file").isEmpty {
                    throw UsageError("'--material-file <path>' goes with '--envelope <file>'; with '--material', each material names its file.")
                }
                attestation = .crafted(
                    materials: try materials.map { argument throws(UsageError) in try MaterialArgument(parsing: argument) },
                    annotations: try Self.annotations(arguments.values("annotation")),
                    keyFile: arguments.value("key")
                )
            case (true, .some(let path)):
                if !arguments.values("annotation").isEmpty || arguments.value("key") != nil {
                    throw UsageError("'--annotation' and '--key' go with '--material'; an '--envelope' is pushed unchanged.")
                }
                attestation = .document(path: path, materialFiles: arguments.values("material-file"))
            }
        }

        /// Splits each `key=value` on its first `=`.
        private static func annotations(_ arguments: [String]) throws(UsageError) -> [String: String] {
            var annotations: [String: String] = [:]
            for argument in arguments {
                guard let equals = argument.firstIndex(of: "="), equals > argument.startIndex else {
                    throw UsageError("Invalid value '\(argument)' for '--annotation'; expected key=value.")
                }
                annotations[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
            }
            return annotations
        }

        func run(in invocation: Invocation) async throws {
            let client = try invocation.client()
            let document: Data
            switch attestation {
            case .crafted(let materials, let annotations, let keyFile):
                document = try await craft(materials: materials, annotations: annotations, keyFile: keyFile, in: invocation, client: client)
            case .document(let path, let materialFiles):
                document = try await prepare(documentAt: path, materialFiles: materialFiles, client: client)
            }
            let pushed = try await client.pushAttestation(document, project: project, workflow: workflow)
            switch invocation.output {
            case .json:
                try invocation.printJSON(pushed)
            case .table:
                let workflow = CourierCommand.AttestationCommands.workflow(of: pushed.attestation)
                invocation.print(
                    Table(header: ["DIGEST", "WORKFLOW", "DELIVERIES"], rows: [[pushed.attestation.digest, workflow, String(pushed.deliveries)]])
                )
                if pushed.duplicate {
                    invocation.printNote("The workflow already had this attestation; nothing new was delivered.")
                }
                for warning in pushed.attestation.warnings {
                    invocation.printNote("Warning: \(warning)")
                }
            }
        }

        /// Uploads the file materials, then builds the statement and wraps it in an envelope, signed when `keyFile` is given.
        private func craft(
            materials: [MaterialArgument],
            annotations: [String: String],
            keyFile: String?,
            in invocation: Invocation,
            client: APIClient
        ) async throws(CLIError) -> Data {
            let startedAt = Date()
            let signer = try keyFile.map { path throws(CLIError) in try Self.signer(keyFile: path) }
            var uploaded: Set<String> = []
            var recorded: [ChainloopStatementBuilder.Material] = []
            for material in materials {
                switch material.source {
                case .string(let value):
                    recorded.append(.string(name: material.name, value: value))
                case .containerImage(let repository, let tag, let digest):
                    recorded.append(.reference(name: material.name, type: material.type, value: repository, digest: digest, tag: tag))
                case .file(let path):
                    let digest = try FileDigest(ofFileAt: path).digest
                    if uploaded.insert(digest).inserted {
                        try await Self.upload(path, digest: digest, client: client)
                    }
                    let filename = URL(fileURLWithPath: path).lastPathComponent
                    recorded.append(.casFile(name: material.name, type: material.type, filename: filename, digest: digest))
                }
            }
            let builder = ChainloopStatementBuilder(
                workflow: .init(name: workflow, project: project),
                run: .detected(in: invocation.context.environment.variables, startedAt: startedAt, finishedAt: Date()),
                annotations: annotations,
                materials: recorded
            )
            do {
                guard let signer else {
                    let statement = try builder.statement()
                    return DSSEEnvelope(payloadType: DSSE.inTotoPayloadType, payload: Data(statement.serialized().utf8), signatures: [])
                        .canonicalJSON
                }
                return try builder.envelope(signedWith: signer).canonicalJSON
            } catch {
                throw CLIError(error.message)
            }
        }

        /// A signer with the PEM private key in `keyFile`.
        private static func signer(keyFile: String) throws(CLIError) -> DSSESigner {
            guard let data = FileManager.default.contents(atPath: keyFile) else {
                throw CLIError("Could not read the private key file \(keyFile); check that it exists and is readable.")
            }
            do {
                return try DSSESigner(privateKeyPEM: String(decoding: data, as: UTF8.self))
            } catch {
                throw CLIError(error.message)
            }
        }

        /// Reads the envelope or bundle at `path`, checks that every material file is one of its CAS materials and
        /// uploads them; returns the file's bytes.
        private func prepare(documentAt path: String, materialFiles: [String], client: APIClient) async throws(CLIError) -> Data {
            guard let document = FileManager.default.contents(atPath: path) else {
                throw CLIError("Could not read the attestation file \(path); check that it exists and is readable.")
            }
            let parsed: ParsedAttestation
            do {
                parsed = try AttestationDocument.parse(document)
            } catch {
                throw CLIError("\(path): \(error.message)")
            }
            let referenced = Set(parsed.predicate.materials.filter(\.uploadedToCAS).compactMap(\.digest))
            var uploads: [(path: String, digest: String)] = []
            for file in materialFiles {
                let digest = try FileDigest(ofFileAt: file).digest
                guard referenced.contains(digest) else {
                    throw CLIError("The material file \(file) (\(digest)) is none of the CAS materials of the attestation in \(path).")
                }
                uploads.append((file, digest))
            }
            var uploaded: Set<String> = []
            for upload in uploads where uploaded.insert(upload.digest).inserted {
                try await Self.upload(upload.path, digest: upload.digest, client: client)
            }
            return document
        }

        /// Puts the file at `path` into CAS unless the server already has `digest`.
        private static func upload(_ path: String, digest: String, client: APIClient) async throws(CLIError) {
            guard try await !client.casContains(digest: digest) else { return }
            try await client.uploadToCAS(file: URL(fileURLWithPath: path), digest: digest)
        }
    }
}
