import CourierCore

/// The `already_exists` errors of every store, so all backends word them the same.
enum StoreConflict {
    static func organizationID(_ id: String) -> CourierError {
        CourierError(.alreadyExists, "An organization with id '\(id)' already exists.")
    }

    static func organizationName(_ name: String) -> CourierError {
        CourierError(.alreadyExists, "An organization named '\(name)' already exists; choose another name.")
    }

    static func tokenID(_ id: String) -> CourierError {
        CourierError(.alreadyExists, "A token with id '\(id)' already exists.")
    }

    static func tokenName(_ name: String) -> CourierError {
        CourierError(.alreadyExists, "A token named '\(name)' already exists; revoke it first or choose another name.")
    }

    static let tokenSecret = CourierError(.alreadyExists, "A token with the same secret already exists; generate a new secret.")

    static func projectID(_ id: String) -> CourierError {
        CourierError(.alreadyExists, "A project with id '\(id)' already exists.")
    }

    static func projectName(_ name: String) -> CourierError {
        CourierError(.alreadyExists, "Project '\(name)' already exists.")
    }

    static func workflowID(_ id: String) -> CourierError {
        CourierError(.alreadyExists, "A workflow with id '\(id)' already exists.")
    }

    static func workflowName(_ name: String, project: String) -> CourierError {
        CourierError(.alreadyExists, "Workflow '\(name)' already exists in project '\(project)'.")
    }

    static func registrationID(_ id: String) -> CourierError {
        CourierError(.alreadyExists, "An integration registration with id '\(id)' already exists.")
    }

    static func registrationName(_ name: String) -> CourierError {
        CourierError(.alreadyExists, "An integration named '\(name)' is already registered; choose another name or delete it first.")
    }

    static func attachmentID(_ id: String) -> CourierError {
        CourierError(.alreadyExists, "An attachment with id '\(id)' already exists.")
    }

    static let attachmentPair = CourierError(
        .alreadyExists,
        "This integration is already attached to this workflow; 'courier integration attached list' shows the attachment."
    )

    static func verificationKeyName(_ name: String) -> CourierError {
        CourierError(.alreadyExists, "A key named '\(name)' already exists; choose another name.")
    }

    static func verificationKeyID(_ id: String) -> CourierError {
        CourierError(.alreadyExists, "A key with id '\(id)' already exists.")
    }

    static let attestationDigest = CourierError(.alreadyExists, "This workflow already has this attestation.")

    static func attestationID(_ id: String) -> CourierError {
        CourierError(.alreadyExists, "An attestation with id '\(id)' already exists.")
    }

    static let deliveryPair = CourierError(.alreadyExists, "This attestation already has a delivery to this attachment.")

    static func deliveryID(_ id: String) -> CourierError {
        CourierError(.alreadyExists, "A delivery with id '\(id)' already exists.")
    }
}
