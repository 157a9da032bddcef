import CourierIntegrationKit
import CourierWire

/// Realistic wire values of the integration routes, shared by the integration command tests.
enum IntegrationFixtures {
    /// dependency-track as the server describes it.
    static let dependencyTrack = AvailableIntegrationDTO(
        name: "dependency-track",
        version: "1.7",
        description: "Send CycloneDX SBOMs to your Dependency-Track instance",
        subscribedInputs: ["SBOM_CYCLONEDX_JSON"],
        registration: InputsDTO(
            schema: #"{"type":"object"}"#,
            inputs: [
                InputFieldDTO(
                    name: "allowAutoCreate", type: "boolean", format: nil, required: false, default: nil,
                    description: "Support of creating projects on demand"
                ),
                InputFieldDTO(name: "apiKey", type: "string", format: "password", required: true, default: nil, description: "The API key"),
                InputFieldDTO(
                    name: "instanceURI", type: "string", format: "uri", required: true, default: nil,
                    description: "The URL of the Dependency-Track instance"
                ),
            ]
        ),
        attachment: InputsDTO(
            schema: #"{"type":"object"}"#,
            inputs: [
                InputFieldDTO(name: "filter", type: "string", format: nil, required: false, default: nil, description: "Annotations to match"),
                InputFieldDTO(
                    name: "projectID", type: "string", format: nil, required: false, default: nil,
                    description: "The ID of the existing project to send the SBOMs to"
                ),
                InputFieldDTO(
                    name: "projectName", type: "string", format: nil, required: false, default: nil,
                    description: "The name of the project to create and send the SBOMs to"
                ),
            ]
        )
    )

    /// smtp, whose port is a string input.
    static let smtp = AvailableIntegrationDTO(
        name: "smtp",
        version: "1.0",
        description: "Send emails with information about a received attestation",
        subscribedInputs: [],
        registration: InputsDTO(
            schema: #"{"type":"object"}"#,
            inputs: [
                InputFieldDTO(name: "host", type: "string", format: nil, required: true, default: nil, description: "The SMTP server host"),
                InputFieldDTO(name: "port", type: "string", format: nil, required: true, default: nil, description: "The SMTP server port"),
                InputFieldDTO(name: "tls", type: "boolean", format: nil, required: false, default: "true", description: "Use STARTTLS"),
            ]
        ),
        attachment: InputsDTO(schema: #"{"type":"object"}"#, inputs: [])
    )

    /// webhook, whose registration generates a signing secret.
    static let webhook = AvailableIntegrationDTO(
        name: "webhook",
        version: "1.2",
        description: "Send attestations to an HTTP endpoint",
        subscribedInputs: [],
        registration: InputsDTO(
            schema: #"{"type":"object"}"#,
            inputs: [InputFieldDTO(name: "url", type: "string", format: "uri", required: true, default: nil, description: "The endpoint")]
        ),
        attachment: InputsDTO(schema: #"{"type":"object"}"#, inputs: [])
    )

    static let available = AvailableIntegrationListDTO(integrations: [dependencyTrack, smtp, webhook])

    static let registration = RegisteredIntegrationDTO(
        id: "reg-1",
        name: "dt-prod",
        kind: "dependency-track",
        description: "Production DT",
        createdAt: sampleDate,
        config: ["allowAutoCreate": true, "domain": "https://dt.example.com"]
    )

    static let workflow = WorkflowDTO(id: "wf-1", name: "build", project: "shop", team: "payments", description: "Builds", createdAt: sampleDate)

    static let attachment = AttachmentDTO(
        id: "att-1",
        createdAt: sampleDate,
        config: ["projectID": "", "projectName": "shop-sboms", "domain": "https://override.example.com"],
        integration: registration,
        workflow: workflow
    )
}
