import CourierIntegrationKit
import Testing

/// The 14 schema documents, exactly as `integration available describe --full` prints them (Go `MarshalIndent` layout).
@Suite struct GoldenSchemaTests {
    static let golden: [GoldenSchema] = [
        GoldenSchema(
            id: "dependency-track", kind: .registration,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/dependency-track/v1/registration-request",
                  "properties": {
                    "instanceURI": {
                      "type": "string",
                      "format": "uri",
                      "description": "The URL of the Dependency-Track instance"
                    },
                    "apiKey": {
                      "type": "string",
                      "format": "password",
                      "description": "The API key to use for authentication"
                    },
                    "allowAutoCreate": {
                      "type": "boolean",
                      "description": "Support of creating projects on demand"
                    }
                  },
                  "additionalProperties": false,
                  "type": "object",
                  "required": [
                    "instanceURI",
                    "apiKey"
                  ]
                }
                """#
        ),
        GoldenSchema(
            id: "dependency-track", kind: .attachment,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/dependency-track/v1/attachment-request",
                  "oneOf": [
                    {
                      "required": [
                        "projectID"
                      ],
                      "title": "projectID"
                    },
                    {
                      "required": [
                        "projectName"
                      ],
                      "title": "projectName"
                    }
                  ],
                  "properties": {
                    "projectID": {
                      "type": "string",
                      "minLength": 1,
                      "description": "The ID of the existing project to send the SBOMs to"
                    },
                    "projectName": {
                      "type": "string",
                      "minLength": 1,
                      "description": "The name of the project to create and send the SBOMs to"
                    },
                    "parentID": {
                      "type": "string",
                      "minLength": 1,
                      "description": "ID of parent project to create a new project under"
                    },
                    "filter": {
                      "type": "string",
                      "minLength": 1,
                      "description": "Comma-separated annotation filters where material annotations take precedence over attestation when keys match"
                    }
                  },
                  "additionalProperties": false,
                  "type": "object",
                  "dependentRequired": {
                    "parentID": [
                      "projectName"
                    ]
                  }
                }
                """#
        ),
        GoldenSchema(
            id: "discord-webhook", kind: .registration,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/discord-webhook/v1/registration-request",
                  "properties": {
                    "webhook": {
                      "type": "string",
                      "format": "uri",
                      "description": "URL of the discord webhook"
                    },
                    "username": {
                      "type": "string",
                      "minLength": 1,
                      "description": "Override the default username of the webhook"
                    }
                  },
                  "additionalProperties": false,
                  "type": "object",
                  "required": [
                    "webhook"
                  ]
                }
                """#
        ),
        GoldenSchema(
            id: "discord-webhook", kind: .attachment,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/discord-webhook/v1/attachment-request",
                  "additionalProperties": false,
                  "type": "object"
                }
                """#
        ),
        GoldenSchema(
            id: "guac", kind: .registration,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/guac/v1/registration-request",
                  "properties": {
                    "provider": {
                      "type": "string",
                      "enum": [
                        "gcs",
                        "s3"
                      ],
                      "minLength": 1,
                      "description": "Blob storage provider: default gcs",
                      "default": "gcs"
                    },
                    "bucket": {
                      "type": "string",
                      "minLength": 1,
                      "description": "Bucket name where to store the artifacts"
                    },
                    "credentials": {
                      "type": "string",
                      "minLength": 2,
                      "description": "Credentials to access the bucket (GCS service-account JSON)"
                    },
                    "region": {
                      "type": "string",
                      "minLength": 1,
                      "description": "Region of the bucket (s3)"
                    },
                    "accessKeyID": {
                      "type": "string",
                      "minLength": 1,
                      "description": "Access key ID (s3)"
                    },
                    "secretAccessKey": {
                      "type": "string",
                      "format": "password",
                      "description": "Secret access key (s3)"
                    },
                    "endpoint": {
                      "type": "string",
                      "format": "uri",
                      "description": "Override the storage endpoint (emulators, MinIO, other S3-compatible stores)"
                    },
                    "pathStyle": {
                      "type": "boolean",
                      "description": "Use path-style bucket addressing (s3)",
                      "default": false
                    }
                  },
                  "additionalProperties": false,
                  "type": "object",
                  "required": [
                    "bucket"
                  ]
                }
                """#
        ),
        GoldenSchema(
            id: "guac", kind: .attachment,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/guac/v1/attachment-request",
                  "additionalProperties": false,
                  "type": "object"
                }
                """#
        ),
        GoldenSchema(
            id: "oci-registry", kind: .registration,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/oci-registry/v1/registration-request",
                  "properties": {
                    "repository": {
                      "type": "string",
                      "minLength": 1,
                      "description": "OCI repository uri and path"
                    },
                    "username": {
                      "type": "string",
                      "minLength": 1,
                      "description": "OCI repository username"
                    },
                    "password": {
                      "type": "string",
                      "minLength": 1,
                      "description": "OCI repository password"
                    },
                    "insecure": {
                      "type": "boolean",
                      "description": "Allow plain HTTP to this registry; always allowed for loopback",
                      "default": false
                    }
                  },
                  "additionalProperties": false,
                  "type": "object",
                  "required": [
                    "repository",
                    "username",
                    "password"
                  ]
                }
                """#
        ),
        GoldenSchema(
            id: "oci-registry", kind: .attachment,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/oci-registry/v1/attachment-request",
                  "properties": {
                    "prefix": {
                      "type": "string",
                      "minLength": 1,
                      "description": "OCI images name prefix (default chainloop)"
                    }
                  },
                  "additionalProperties": false,
                  "type": "object"
                }
                """#
        ),
        GoldenSchema(
            id: "slack-webhook", kind: .registration,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/slack-webhook/v1/registration-request",
                  "properties": {
                    "webhook": {
                      "type": "string",
                      "format": "uri",
                      "description": "URL of the slack webhook"
                    }
                  },
                  "additionalProperties": false,
                  "type": "object",
                  "required": [
                    "webhook"
                  ]
                }
                """#
        ),
        GoldenSchema(
            id: "slack-webhook", kind: .attachment,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/slack-webhook/v1/attachment-request",
                  "additionalProperties": false,
                  "type": "object"
                }
                """#
        ),
        GoldenSchema(
            id: "smtp", kind: .registration,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/smtp/v1/registration-request",
                  "properties": {
                    "to": {
                      "type": "string",
                      "format": "email",
                      "description": "The email address to send the email to."
                    },
                    "from": {
                      "type": "string",
                      "format": "email",
                      "description": "The email address of the sender."
                    },
                    "user": {
                      "type": "string",
                      "minLength": 1,
                      "description": "The username to use for the SMTP authentication."
                    },
                    "password": {
                      "type": "string",
                      "format": "password",
                      "description": "The password to use for the SMTP authentication."
                    },
                    "host": {
                      "type": "string",
                      "description": "The host to use for the SMTP authentication."
                    },
                    "port": {
                      "type": "string",
                      "description": "The port to use for the SMTP authentication"
                    },
                    "caCertificate": {
                      "type": "string",
                      "description": "PEM CA certificate to trust for this server's TLS (use --opt caCertificate=@ca.pem)"
                    },
                    "allowInsecure": {
                      "type": "boolean",
                      "description": "Allow plain SMTP without TLS to a non-loopback server",
                      "default": false
                    }
                  },
                  "additionalProperties": false,
                  "type": "object",
                  "required": [
                    "to",
                    "from",
                    "user",
                    "password",
                    "host",
                    "port"
                  ]
                }
                """#
        ),
        GoldenSchema(
            id: "smtp", kind: .attachment,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/smtp/v1/attachment-request",
                  "properties": {
                    "cc": {
                      "type": "string",
                      "format": "email",
                      "description": "The email address of the carbon copy recipient."
                    }
                  },
                  "additionalProperties": false,
                  "type": "object"
                }
                """#
        ),
        GoldenSchema(
            id: "webhook", kind: .registration,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/webhook/v1/registration-request",
                  "properties": {
                    "url": {
                      "type": "string",
                      "minLength": 1,
                      "format": "uri",
                      "description": "Webhook URL to send payloads to"
                    }
                  },
                  "additionalProperties": false,
                  "type": "object",
                  "required": [
                    "url"
                  ]
                }
                """#
        ),
        GoldenSchema(
            id: "webhook", kind: .attachment,
            json: #"""
                {
                  "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/webhook/v1/attachment-request",
                  "properties": {
                    "send_attestation": {
                      "type": "boolean",
                      "description": "Send attestation",
                      "default": true
                    },
                    "send_sbom": {
                      "type": "boolean",
                      "description": "Additionally send CycloneDX or SPDX Software Bill Of Materials (SBOM)",
                      "default": false
                    }
                  },
                  "additionalProperties": false,
                  "type": "object"
                }
                """#
        ),
    ]

    @Test(arguments: golden)
    func schemaDocumentMatchesGolden(_ expected: GoldenSchema) throws {
        let descriptor = try IntegrationCatalog(allIntegrations).descriptor(expected.id)
        let document = expected.kind == .registration ? descriptor.registrationSchemaDocument : descriptor.attachmentSchemaDocument
        #expect(document.serialized(pretty: true) == expected.json)
    }

    @Test func everyDocumentHasAGolden() throws {
        let catalog = try IntegrationCatalog(allIntegrations)
        let expected = catalog.descriptors.flatMap { descriptor in InputSchemaKind.allCases.map { "\(descriptor.id) \($0)" } }
        #expect(Self.golden.map { "\($0.id) \($0.kind)" }.sorted() == expected.sorted())
    }

    @Test func compactRenderingHasGoLayout() throws {
        let document = try IntegrationCatalog(allIntegrations).descriptor("discord-webhook").registrationSchemaDocument
        #expect(
            document.serialized() == #"{"$schema":"https://json-schema.org/draft/2020-12/schema","#
                + #""$id":"https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/discord-webhook/v1/registration-request","#
                + #""properties":{"webhook":{"type":"string","format":"uri","description":"URL of the discord webhook"},"#
                + #""username":{"type":"string","minLength":1,"description":"Override the default username of the webhook"}},"#
                + #""additionalProperties":false,"type":"object","required":["webhook"]}"#)
    }

    @Test func documentsParseBackToEqualValues() throws {
        for expected in Self.golden {
            let descriptor = try IntegrationCatalog(allIntegrations).descriptor(expected.id)
            let document = expected.kind == .registration ? descriptor.registrationSchemaDocument : descriptor.attachmentSchemaDocument
            #expect(json(expected.json) == document)
        }
    }
}

/// One expected schema document.
struct GoldenSchema: Sendable, CustomTestStringConvertible {
    var id: String
    var kind: InputSchemaKind
    var json: String

    var testDescription: String { "\(id) \(kind.rawValue)" }
}
