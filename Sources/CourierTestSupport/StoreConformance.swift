import CourierCore
import CourierStorage
import Foundation
import Testing

/// The behaviour every `Store` must have, written once and run against each backend.
///
/// Each case is one independent check; run it on a fresh, empty store. Expectations are made
/// outside transaction bodies, which run on the store's own threads, away from the test's task.
///
/// ```swift
/// @Test(arguments: StoreKind.allCases, StoreConformance.allCases)
/// func conforms(kind: StoreKind, check: StoreConformance) async throws {
///     try await check.run(on: kind.makeStore())
/// }
/// ```
///
/// Each case name states the behaviour it checks.
public enum StoreConformance: String, CaseIterable, Sendable, CustomStringConvertible {
    case organizations
    case organizationNameIsUnique
    case tokens
    case revokedTokensAreOnlyFoundByHash
    case tokenNameIsUniqueAmongActiveTokens
    case tokenSecretHashIsUnique
    case projects
    case workflowsAreOrderedByProjectThenName
    case workflowNameIsUniqueUntilDeleted
    case organizationsAreIsolated
    case throwingBodyRollsBack
    case readTransactionsRejectWrites
    case referencesMustExist
    case datesRoundTripToTheMillisecond
    case textIsStoredVerbatim
    case concurrentWritesAreSerialized
    case registrations
    case registrationNameIsUniqueUntilDeletedAndDeleteErasesCredentials
    case attachments
    case attachmentPairIsUniqueUntilDeleted
    case contentReferencesArePerOrganization
    case verificationKeys
    case attestations
    case deliveriesAndTheirAttemptsAndParts
    case claimingLeasesDueDeliveriesOnce
    case concurrentClaimsNeverShareADelivery
    case lockedDeliveriesAreUpdatedOneWriterAtATime

    public var description: String { rawValue }

    /// Runs the check on `store`, which must be empty; failures are recorded as test issues.
    public func run(on store: any Store) async throws {
        switch self {
        case .organizations: try await Self.checkOrganizations(store)
        case .organizationNameIsUnique: try await Self.checkOrganizationNameIsUnique(store)
        case .tokens: try await Self.checkTokens(store)
        case .revokedTokensAreOnlyFoundByHash: try await Self.checkRevokedTokens(store)
        case .tokenNameIsUniqueAmongActiveTokens: try await Self.checkTokenNameIsUnique(store)
        case .tokenSecretHashIsUnique: try await Self.checkTokenSecretHashIsUnique(store)
        case .projects: try await Self.checkProjects(store)
        case .workflowsAreOrderedByProjectThenName: try await Self.checkWorkflowOrdering(store)
        case .workflowNameIsUniqueUntilDeleted: try await Self.checkWorkflowNameIsUniqueUntilDeleted(store)
        case .organizationsAreIsolated: try await Self.checkOrganizationIsolation(store)
        case .throwingBodyRollsBack: try await Self.checkRollback(store)
        case .readTransactionsRejectWrites: try await Self.checkReadTransactionsRejectWrites(store)
        case .referencesMustExist: try await Self.checkReferences(store)
        case .datesRoundTripToTheMillisecond: try await Self.checkDates(store)
        case .textIsStoredVerbatim: try await Self.checkVerbatimText(store)
        case .concurrentWritesAreSerialized: try await Self.checkConcurrentWrites(store)
        case .registrations: try await Self.checkRegistrations(store)
        case .registrationNameIsUniqueUntilDeletedAndDeleteErasesCredentials: try await Self.checkRegistrationNameIsUniqueUntilDeleted(store)
        case .attachments: try await Self.checkAttachments(store)
        case .attachmentPairIsUniqueUntilDeleted: try await Self.checkAttachmentPairIsUniqueUntilDeleted(store)
        case .contentReferencesArePerOrganization: try await Self.checkContentReferences(store)
        case .verificationKeys: try await Self.checkVerificationKeys(store)
        case .attestations: try await Self.checkAttestations(store)
        case .deliveriesAndTheirAttemptsAndParts: try await Self.checkDeliveries(store)
        case .claimingLeasesDueDeliveriesOnce: try await Self.checkClaiming(store)
        case .concurrentClaimsNeverShareADelivery: try await Self.checkConcurrentClaims(store)
        case .lockedDeliveriesAreUpdatedOneWriterAtATime: try await Self.checkLockedDeliveryUpdates(store)
        }
    }

    // MARK: Fixtures

    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    static func at(_ seconds: TimeInterval) -> Date { start.addingTimeInterval(seconds) }

    static func organization(_ id: String, _ name: String? = nil) -> Organization {
        Organization(id: id, name: name ?? id, createdAt: start)
    }

    static func token(
        _ id: String,
        organization: String,
        name: String? = nil,
        role: Role = .admin,
        scope: WorkflowScope? = nil,
        createdAt: Date = start
    ) -> APIToken {
        APIToken(
            id: id,
            organizationID: organization,
            name: name ?? id,
            role: role,
            scope: scope,
            secretHash: "hash-of-\(id)",
            createdAt: createdAt
        )
    }

    static func project(_ id: String, organization: String, name: String) -> Project {
        Project(id: id, organizationID: organization, name: name, createdAt: start)
    }

    static func workflow(_ id: String, in project: Project, name: String, team: String = "", description: String = "") -> Workflow {
        Workflow(
            id: id,
            organizationID: project.organizationID,
            projectID: project.id,
            projectName: project.name,
            name: name,
            team: team,
            description: description,
            createdAt: start
        )
    }

    /// Expects `body` to throw a `CourierError` with `code` (and `message`, when given).
    static func expectError(
        _ code: CourierError.Code,
        _ message: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("Expected a CourierError with code \(code.rawValue), but nothing was thrown.", sourceLocation: sourceLocation)
        } catch let error as CourierError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            if let message {
                #expect(error.message == message, sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("Expected a CourierError with code \(code.rawValue), got \(error).", sourceLocation: sourceLocation)
        }
    }

    // MARK: Organizations

    static func checkOrganizations(_ store: any Store) async throws {
        let acme = organization("org-1", "acme")
        #expect(try await store.read { try $0.organizationCount() } == 0)
        try await store.write { try $0.insertOrganization(acme) }

        let found = try await store.read { tx in
            (
                byID: try tx.organization(id: "org-1"), byName: try tx.organization(named: "acme"), count: try tx.organizationCount(),
                unknownID: try tx.organization(id: "org-2"), otherCase: try tx.organization(named: "Acme")
            )
        }
        #expect(found.byID == acme)
        #expect(found.byName == acme)
        #expect(found.count == 1)
        #expect(found.unknownID == nil)
        #expect(found.otherCase == nil)
    }

    static func checkOrganizationNameIsUnique(_ store: any Store) async throws {
        try await store.write { try $0.insertOrganization(organization("org-1", "acme")) }
        await expectError(.alreadyExists, "An organization named 'acme' already exists; choose another name.") {
            try await store.write { try $0.insertOrganization(organization("org-2", "acme")) }
        }
        await expectError(.alreadyExists, "An organization with id 'org-1' already exists.") {
            try await store.write { try $0.insertOrganization(organization("org-1", "other")) }
        }
        #expect(try await store.read { try $0.organizationCount() } == 1)
    }

    // MARK: Tokens

    static func checkTokens(_ store: any Store) async throws {
        let scope = WorkflowScope(project: "web", workflow: "build")
        let oldest = token("tok-3", organization: "org-1", name: "first", role: .owner, createdAt: at(0))
        let tiedLater = token("tok-2", organization: "org-1", name: "third", role: .viewer, createdAt: at(1))
        let tiedEarlier = token("tok-1", organization: "org-1", name: "second", role: .robot, scope: scope, createdAt: at(1))
        try await store.write { tx in
            try tx.insertOrganization(organization("org-1"))
            for token in [tiedLater, oldest, tiedEarlier] { try tx.insertToken(token) }
        }

        let found = try await store.read { tx in
            (
                byHash: try tx.token(secretHash: "hash-of-tok-1"), unknownHash: try tx.token(secretHash: "hash-of-nothing"),
                byName: try tx.token(organizationID: "org-1", name: "first"),
                unknownName: try tx.token(organizationID: "org-1", name: "missing"),
                list: try tx.tokens(organizationID: "org-1"), otherList: try tx.tokens(organizationID: "org-2")
            )
        }
        #expect(found.byHash == tiedEarlier)
        #expect(found.unknownHash == nil)
        #expect(found.byName == oldest)
        #expect(found.unknownName == nil)
        // Oldest first; tokens created in the same millisecond are ordered by id.
        #expect(found.list.map(\.id) == ["tok-3", "tok-1", "tok-2"])
        #expect(found.otherList.isEmpty)
    }

    static func checkRevokedTokens(_ store: any Store) async throws {
        try await store.write { tx in
            try tx.insertOrganization(organization("org-1"))
            try tx.insertToken(token("tok-1", organization: "org-1", name: "ci"))
            try tx.insertToken(token("tok-2", organization: "org-1", name: "deploy"))
        }
        try await store.write { try $0.revokeToken(id: "tok-1", at: at(60)) }

        let revoked = try await store.read { tx in
            (
                byHash: try tx.token(secretHash: "hash-of-tok-1"), byName: try tx.token(organizationID: "org-1", name: "ci"),
                list: try tx.tokens(organizationID: "org-1")
            )
        }
        #expect(revoked.byHash?.revokedAt == at(60))
        #expect(revoked.byName == nil)
        #expect(revoked.list.map(\.id) == ["tok-2"])

        // Revoking again keeps the first revocation; revoking an unknown id does nothing.
        try await store.write { tx in
            try tx.revokeToken(id: "tok-1", at: at(120))
            try tx.revokeToken(id: "tok-unknown", at: at(120))
        }
        #expect(try await store.read { try $0.token(secretHash: "hash-of-tok-1")?.revokedAt } == at(60))

        // The name of a revoked token can be used again.
        let replacement = token("tok-3", organization: "org-1", name: "ci", createdAt: at(180))
        try await store.write { try $0.insertToken(replacement) }
        #expect(try await store.read { try $0.token(organizationID: "org-1", name: "ci") } == replacement)
    }

    static func checkTokenNameIsUnique(_ store: any Store) async throws {
        try await store.write { tx in
            try tx.insertOrganization(organization("org-1"))
            try tx.insertOrganization(organization("org-2"))
            try tx.insertToken(token("tok-1", organization: "org-1", name: "ci"))
        }
        await expectError(.alreadyExists, "A token named 'ci' already exists; revoke it first or choose another name.") {
            try await store.write { try $0.insertToken(token("tok-2", organization: "org-1", name: "ci")) }
        }
        var sameID = token("tok-1", organization: "org-1", name: "other")
        sameID.secretHash = "another-hash"
        await expectError(.alreadyExists, "A token with id 'tok-1' already exists.") {
            try await store.write { [sameID] tx in try tx.insertToken(sameID) }
        }
        // Another organization may use the same name.
        try await store.write { try $0.insertToken(token("tok-3", organization: "org-2", name: "ci")) }
        #expect(try await store.read { try $0.tokens(organizationID: "org-1").map(\.id) } == ["tok-1"])
    }

    static func checkTokenSecretHashIsUnique(_ store: any Store) async throws {
        try await store.write { tx in
            try tx.insertOrganization(organization("org-1"))
            try tx.insertOrganization(organization("org-2"))
            try tx.insertToken(token("tok-1", organization: "org-1", name: "ci"))
            try tx.revokeToken(id: "tok-1", at: at(1))
        }
        var duplicate = token("tok-2", organization: "org-2", name: "other")
        duplicate.secretHash = "hash-of-tok-1"
        // Even a revoked token's hash stays taken, in every organization.
        await expectError(.alreadyExists, "A token with the same secret already exists; generate a new secret.") {
            try await store.write { [duplicate] tx in try tx.insertToken(duplicate) }
        }
        #expect(try await store.read { try $0.token(secretHash: "hash-of-tok-1")?.id } == "tok-1")
    }

    // MARK: Projects and workflows

    static func checkProjects(_ store: any Store) async throws {
        let web = project("prj-1", organization: "org-1", name: "web")
        try await store.write { tx in
            try tx.insertOrganization(organization("org-1"))
            try tx.insertOrganization(organization("org-2"))
            try tx.insertProject(web)
            try tx.insertProject(project("prj-2", organization: "org-2", name: "web"))
        }
        await expectError(.alreadyExists, "Project 'web' already exists.") {
            try await store.write { try $0.insertProject(project("prj-3", organization: "org-1", name: "web")) }
        }
        await expectError(.alreadyExists, "A project with id 'prj-1' already exists.") {
            try await store.write { try $0.insertProject(project("prj-1", organization: "org-1", name: "api")) }
        }
        let found = try await store.read { tx in
            (
                own: try tx.project(organizationID: "org-1", name: "web"), other: try tx.project(organizationID: "org-2", name: "web"),
                missing: try tx.project(organizationID: "org-1", name: "api")
            )
        }
        #expect(found.own == web)
        #expect(found.other?.id == "prj-2")
        #expect(found.missing == nil)
    }

    static func checkWorkflowOrdering(_ store: any Store) async throws {
        let web = project("prj-1", organization: "org-1", name: "web")
        let api = project("prj-2", organization: "org-1", name: "api")
        let webDeploy = workflow("wf-1", in: web, name: "deploy", team: "platform", description: "Ships the site.")
        let webBuild = workflow("wf-2", in: web, name: "build")
        let apiTest = workflow("wf-3", in: api, name: "test")
        let apiBuild = workflow("wf-4", in: api, name: "build")
        try await store.write { tx in
            try tx.insertOrganization(organization("org-1"))
            try tx.insertProject(web)
            try tx.insertProject(api)
            for workflow in [webDeploy, webBuild, apiTest, apiBuild] { try tx.insertWorkflow(workflow) }
        }
        let found = try await store.read { tx in
            (
                byName: try tx.workflow(organizationID: "org-1", project: "web", name: "deploy"),
                byID: try tx.workflow(organizationID: "org-1", id: "wf-4"),
                unknownName: try tx.workflow(organizationID: "org-1", project: "api", name: "deploy"),
                unknownID: try tx.workflow(organizationID: "org-1", id: "wf-9"),
                all: try tx.workflows(organizationID: "org-1", project: nil),
                web: try tx.workflows(organizationID: "org-1", project: "web"),
                unknownProject: try tx.workflows(organizationID: "org-1", project: "docs")
            )
        }
        #expect(found.byName == webDeploy)
        #expect(found.byID == apiBuild)
        #expect(found.unknownName == nil)
        #expect(found.unknownID == nil)
        #expect(found.all.map(\.id) == ["wf-4", "wf-3", "wf-2", "wf-1"])
        #expect(found.web == [webBuild, webDeploy])
        #expect(found.unknownProject.isEmpty)
    }

    static func checkWorkflowNameIsUniqueUntilDeleted(_ store: any Store) async throws {
        let web = project("prj-1", organization: "org-1", name: "web")
        let api = project("prj-2", organization: "org-1", name: "api")
        try await store.write { tx in
            try tx.insertOrganization(organization("org-1"))
            try tx.insertProject(web)
            try tx.insertProject(api)
            try tx.insertWorkflow(workflow("wf-1", in: web, name: "build"))
            try tx.insertWorkflow(workflow("wf-2", in: api, name: "build"))
        }
        await expectError(.alreadyExists, "Workflow 'build' already exists in project 'web'.") {
            try await store.write { try $0.insertWorkflow(workflow("wf-3", in: web, name: "build")) }
        }
        await expectError(.alreadyExists, "A workflow with id 'wf-1' already exists.") {
            try await store.write { try $0.insertWorkflow(workflow("wf-1", in: web, name: "lint")) }
        }

        try await store.write { try $0.deleteWorkflow(id: "wf-1", at: at(10)) }
        let afterDelete = try await store.read { tx in
            (
                byName: try tx.workflow(organizationID: "org-1", project: "web", name: "build"),
                byID: try tx.workflow(organizationID: "org-1", id: "wf-1"),
                all: try tx.workflows(organizationID: "org-1", project: nil)
            )
        }
        #expect(afterDelete.byName == nil)
        #expect(afterDelete.byID == nil)
        #expect(afterDelete.all.map(\.id) == ["wf-2"])

        let again = workflow("wf-3", in: web, name: "build")
        try await store.write { try $0.insertWorkflow(again) }
        #expect(try await store.read { try $0.workflow(organizationID: "org-1", project: "web", name: "build") } == again)
        // Deleting twice or deleting an unknown id changes nothing.
        try await store.write { tx in
            try tx.deleteWorkflow(id: "wf-1", at: at(20))
            try tx.deleteWorkflow(id: "wf-unknown", at: at(20))
        }
        #expect(try await store.read { try $0.workflows(organizationID: "org-1", project: "web") } == [again])
    }

    static func checkOrganizationIsolation(_ store: any Store) async throws {
        let projectA = project("prj-a", organization: "org-a", name: "web")
        let projectB = project("prj-b", organization: "org-b", name: "web")
        try await store.write { tx in
            try tx.insertOrganization(organization("org-a"))
            try tx.insertOrganization(organization("org-b"))
            try tx.insertToken(token("tok-a", organization: "org-a", name: "ci"))
            try tx.insertToken(token("tok-b", organization: "org-b", name: "ci"))
            try tx.insertProject(projectA)
            try tx.insertProject(projectB)
            try tx.insertWorkflow(workflow("wf-a", in: projectA, name: "build"))
            try tx.insertWorkflow(workflow("wf-b", in: projectB, name: "build"))
        }
        let found = try await store.read { tx in
            (
                token: try tx.token(organizationID: "org-a", name: "ci"), tokens: try tx.tokens(organizationID: "org-a"),
                project: try tx.project(organizationID: "org-a", name: "web"),
                workflow: try tx.workflow(organizationID: "org-a", project: "web", name: "build"),
                otherOrganizationsWorkflow: try tx.workflow(organizationID: "org-a", id: "wf-b"),
                workflowsOfA: try tx.workflows(organizationID: "org-a", project: nil),
                workflowsOfB: try tx.workflows(organizationID: "org-b", project: "web")
            )
        }
        #expect(found.token?.id == "tok-a")
        #expect(found.tokens.map(\.id) == ["tok-a"])
        #expect(found.project?.id == "prj-a")
        #expect(found.workflow?.id == "wf-a")
        #expect(found.otherOrganizationsWorkflow == nil)
        #expect(found.workflowsOfA.map(\.id) == ["wf-a"])
        #expect(found.workflowsOfB.map(\.id) == ["wf-b"])
    }

    // MARK: Transactions

    struct AbortTransaction: Error, Equatable {}

    static func checkRollback(_ store: any Store) async throws {
        await #expect(throws: AbortTransaction()) {
            try await store.write { tx in
                try tx.insertOrganization(organization("org-1"))
                throw AbortTransaction()
            }
        }
        // A failed insert late in a transaction undoes the earlier ones too.
        await expectError(.alreadyExists) {
            try await store.write { tx in
                try tx.insertOrganization(organization("org-2", "acme"))
                try tx.insertOrganization(organization("org-3", "acme"))
            }
        }
        #expect(try await store.read { try $0.organizationCount() } == 0)

        let returned = try await store.write { tx in
            try tx.insertOrganization(organization("org-4"))
            return "committed"
        }
        #expect(returned == "committed")
        #expect(try await store.read { try $0.organizationCount() } == 1)
    }

    static func checkReadTransactionsRejectWrites(_ store: any Store) async throws {
        await expectError(.internal, "Internal server error.") {
            try await store.read { try $0.insertOrganization(organization("org-1")) }
        }
        #expect(try await store.read { try $0.organizationCount() } == 0)
    }

    static func checkReferences(_ store: any Store) async throws {
        try await store.write { try $0.insertOrganization(organization("org-1")) }
        await expectError(.internal, "Internal server error.") {
            try await store.write { try $0.insertToken(token("tok-1", organization: "org-missing")) }
        }
        await expectError(.internal) {
            try await store.write { try $0.insertProject(project("prj-1", organization: "org-missing", name: "web")) }
        }
        await expectError(.internal) {
            let orphan = workflow("wf-1", in: project("prj-missing", organization: "org-1", name: "web"), name: "build")
            try await store.write { try $0.insertWorkflow(orphan) }
        }
        // A workflow cannot point at another organization's project.
        try await store.write { tx in
            try tx.insertOrganization(organization("org-2"))
            try tx.insertProject(project("prj-2", organization: "org-2", name: "web"))
        }
        await expectError(.internal) {
            var crossing = workflow("wf-2", in: project("prj-2", organization: "org-2", name: "web"), name: "build")
            crossing.organizationID = "org-1"
            try await store.write { [crossing] tx in try tx.insertWorkflow(crossing) }
        }
    }

    // MARK: Values

    static func checkDates(_ store: any Store) async throws {
        let dates = [
            Date(timeIntervalSince1970: 1_700_000_000.123_456_7),
            Date(timeIntervalSince1970: 1_700_000_000.999_9),
            Date(timeIntervalSince1970: -12.345_678),
            Date(timeIntervalSince1970: 4_102_444_800.000_4),
            Date(timeIntervalSince1970: 0),
        ]
        try await store.write { tx in
            for (index, date) in dates.enumerated() {
                try tx.insertOrganization(Organization(id: "org-\(index)", name: "org-\(index)", createdAt: date))
                try tx.insertToken(token("tok-\(index)", organization: "org-\(index)", createdAt: date))
                try tx.revokeToken(id: "tok-\(index)", at: date)
            }
        }
        let found = try await store.read { tx in
            try dates.indices.map { index in
                (organization: try tx.organization(id: "org-\(index)"), token: try tx.token(secretHash: "hash-of-tok-\(index)"))
            }
        }
        for (date, (organization, token)) in zip(dates, found) {
            #expect(organization?.createdAt == date.roundedToMilliseconds)
            #expect(organization?.createdAt.millisecondsSince1970 == date.millisecondsSince1970)
            #expect(token?.createdAt == date.roundedToMilliseconds)
            #expect(token?.revokedAt == date.roundedToMilliseconds)
        }
    }

    static func checkVerbatimText(_ store: any Store) async throws {
        let tricky = [
            "x'); DROP TABLE workflows; --",
            "Robert'); DELETE FROM organizations; --",
            "?1 $1 :name @name",
            "quotes \" ' ` and backslash \\",
            "line\nbreak\ttab",
            "ünïcödé ✓ 🚀 日本語",
            "",
        ]
        let web = project("prj-1", organization: "org-1", name: tricky[0])
        let workflows = tricky.enumerated().map { index, text in
            workflow("wf-\(index)", in: web, name: "wf-\(index)", team: text, description: text)
        }
        try await store.write { tx in
            try tx.insertOrganization(organization("org-1", tricky[1]))
            try tx.insertProject(web)
            for workflow in workflows { try tx.insertWorkflow(workflow) }
        }
        let found = try await store.read { tx in
            (
                organization: try tx.organization(named: tricky[1]), project: try tx.project(organizationID: "org-1", name: tricky[0]),
                workflows: try tx.workflows(organizationID: "org-1", project: tricky[0])
            )
        }
        #expect(found.organization?.id == "org-1")
        #expect(found.project == web)
        #expect(found.workflows == workflows)

        // PostgreSQL cannot store NUL in text: a store either keeps it or refuses it, never truncates it.
        let withNUL = workflow("wf-nul", in: web, name: "wf-nul", description: "nul\u{0}byte")
        do {
            try await store.write { try $0.insertWorkflow(withNUL) }
            #expect(try await store.read { try $0.workflow(organizationID: "org-1", id: "wf-nul") } == withNUL)
        } catch let error as CourierError {
            #expect(error.code == .invalidArgument && error.message == "Text values must not contain NUL characters.", "\(error)")
        }
    }

    static func checkConcurrentWrites(_ store: any Store) async throws {
        // Each task checks for a name and inserts it when missing; serialized writes insert it once.
        let inserted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await store.write { tx in
                        guard try tx.organization(named: "shared") == nil else { return false }
                        try tx.insertOrganization(organization("org-\(index)", "shared"))
                        return true
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(inserted == 1)
        #expect(try await store.read { try $0.organizationCount() } == 1)
    }

    // MARK: Integrations

    static func registration(
        _ id: String,
        organization: String,
        name: String? = nil,
        kind: String = "webhook",
        credentials: SealedSecret? = SealedSecret(keyID: "k1", ciphertext: "c2VhbGVk"),
        createdAt: Date = start
    ) -> IntegrationRegistration {
        IntegrationRegistration(
            id: id,
            organizationID: organization,
            name: name ?? id,
            kind: kind,
            description: "to \(id)",
            configuration: #"{"url":"https://example.com****hook"}"#,
            credentials: credentials,
            createdAt: createdAt
        )
    }

    static func attachment(_ id: String, organization: String, registration: String, workflow: String, createdAt: Date = start)
        -> IntegrationAttachment
    {
        IntegrationAttachment(
            id: id,
            organizationID: organization,
            registrationID: registration,
            workflowID: workflow,
            configuration: #"{"send_sbom":true}"#,
            createdAt: createdAt
        )
    }

    /// Two organizations, each with a project `web` holding workflows `build` and `deploy`.
    static func seedTwoOrganizations(_ store: any Store) async throws {
        try await store.write { tx in
            for org in ["org-1", "org-2"] {
                try tx.insertOrganization(organization(org))
                let web = project("\(org)-web", organization: org, name: "web")
                try tx.insertProject(web)
                try tx.insertWorkflow(workflow("\(org)-build", in: web, name: "build"))
                try tx.insertWorkflow(workflow("\(org)-deploy", in: web, name: "deploy"))
            }
        }
    }

    static func checkRegistrations(_ store: any Store) async throws {
        try await seedTwoOrganizations(store)
        let hook = registration("reg-1", organization: "org-1", name: "zeta-hook", createdAt: at(1))
        let tracker = registration("reg-2", organization: "org-1", name: "alpha-dt", kind: "dependency-track", credentials: nil)
        let other = registration("reg-3", organization: "org-2", name: "zeta-hook")
        try await store.write { tx in
            try tx.insertRegistration(hook)
            try tx.insertRegistration(tracker)
            try tx.insertRegistration(other)
        }
        let found = try await store.read { tx in
            (
                byName: try tx.registration(organizationID: "org-1", name: "zeta-hook"),
                byID: try tx.registration(organizationID: "org-1", id: "reg-2"),
                otherOrgsID: try tx.registration(organizationID: "org-1", id: "reg-3"),
                list: try tx.registrations(organizationID: "org-1"),
                sealed: try tx.registrationsWithCredentials().map(\.id)
            )
        }
        #expect(found.byName == hook)
        #expect(found.byID == tracker)
        #expect(found.otherOrgsID == nil)
        #expect(found.list == [tracker, hook], "ordered by name")
        #expect(found.sealed == ["reg-1", "reg-3"])

        let rotated = SealedSecret(keyID: "k2", ciphertext: "cm90YXRlZA==")
        try await store.write { try $0.updateRegistrationCredentials(id: "reg-1", credentials: rotated) }
        #expect(try await store.read { try $0.registration(organizationID: "org-1", id: "reg-1")?.credentials } == rotated)
    }

    static func checkRegistrationNameIsUniqueUntilDeleted(_ store: any Store) async throws {
        try await seedTwoOrganizations(store)
        try await store.write { try $0.insertRegistration(registration("reg-1", organization: "org-1", name: "hook")) }
        await expectError(.alreadyExists, "An integration named 'hook' is already registered; choose another name or delete it first.") {
            try await store.write { try $0.insertRegistration(registration("reg-2", organization: "org-1", name: "hook")) }
        }
        await expectError(.alreadyExists) {
            try await store.write { try $0.insertRegistration(registration("reg-1", organization: "org-1", name: "other")) }
        }
        try await store.write { tx in
            try tx.deleteRegistration(id: "reg-1", at: at(5))
            try tx.insertRegistration(registration("reg-2", organization: "org-1", name: "hook"))
        }
        let after = try await store.read { tx in
            (
                deleted: try tx.registration(organizationID: "org-1", id: "reg-1"),
                history: try tx.registrationIncludingDeleted(organizationID: "org-1", id: "reg-1"),
                otherOrgHistory: try tx.registrationIncludingDeleted(organizationID: "org-2", id: "reg-1"),
                sealed: try tx.registrationsWithCredentials().map(\.id),
                current: try tx.registration(organizationID: "org-1", name: "hook")?.id
            )
        }
        #expect(after.deleted == nil)
        #expect(after.history?.name == "hook" && after.history?.credentials == nil, "kept for history, credentials erased")
        #expect(after.otherOrgHistory == nil)
        #expect(after.sealed == ["reg-2"], "deleting erases the credentials")
        #expect(after.current == "reg-2")
    }

    static func checkAttachments(_ store: any Store) async throws {
        try await seedTwoOrganizations(store)
        try await store.write { tx in
            try tx.insertRegistration(registration("reg-1", organization: "org-1"))
            try tx.insertRegistration(registration("reg-2", organization: "org-1"))
            try tx.insertRegistration(registration("reg-3", organization: "org-2"))
            try tx.insertAttachment(attachment("att-2", organization: "org-1", registration: "reg-1", workflow: "org-1-deploy", createdAt: at(2)))
            try tx.insertAttachment(attachment("att-1", organization: "org-1", registration: "reg-1", workflow: "org-1-build", createdAt: at(1)))
            try tx.insertAttachment(attachment("att-3", organization: "org-1", registration: "reg-2", workflow: "org-1-build", createdAt: at(3)))
            try tx.insertAttachment(attachment("att-4", organization: "org-2", registration: "reg-3", workflow: "org-2-build"))
        }
        let found = try await store.read { tx in
            (
                all: try tx.attachments(organizationID: "org-1", workflowID: nil, registrationID: nil).map(\.id),
                build: try tx.attachments(organizationID: "org-1", workflowID: "org-1-build", registrationID: nil).map(\.id),
                reg1: try tx.attachments(organizationID: "org-1", workflowID: nil, registrationID: "reg-1").map(\.id),
                both: try tx.attachments(organizationID: "org-1", workflowID: "org-1-build", registrationID: "reg-2").map(\.id),
                one: try tx.attachment(organizationID: "org-1", id: "att-1"),
                otherOrg: try tx.attachment(organizationID: "org-1", id: "att-4")
            )
        }
        #expect(found.all == ["att-1", "att-2", "att-3"], "oldest first, only org-1")
        #expect(found.build == ["att-1", "att-3"])
        #expect(found.reg1 == ["att-1", "att-2"])
        #expect(found.both == ["att-3"])
        #expect(found.one == attachment("att-1", organization: "org-1", registration: "reg-1", workflow: "org-1-build", createdAt: at(1)))
        #expect(found.otherOrg == nil)

        await expectError(.internal) {
            try await store.write { tx in
                try tx.insertAttachment(attachment("att-5", organization: "org-1", registration: "reg-3", workflow: "org-1-deploy"))
            }
        }
    }

    static func checkAttachmentPairIsUniqueUntilDeleted(_ store: any Store) async throws {
        try await seedTwoOrganizations(store)
        try await store.write { tx in
            try tx.insertRegistration(registration("reg-1", organization: "org-1"))
            try tx.insertAttachment(attachment("att-1", organization: "org-1", registration: "reg-1", workflow: "org-1-build"))
        }
        await expectError(
            .alreadyExists,
            "This integration is already attached to this workflow; 'courier integration attached list' shows the attachment."
        ) {
            try await store.write { tx in
                try tx.insertAttachment(attachment("att-2", organization: "org-1", registration: "reg-1", workflow: "org-1-build"))
            }
        }
        try await store.write { tx in
            try tx.deleteAttachment(id: "att-1", at: at(1))
            try tx.insertAttachment(attachment("att-2", organization: "org-1", registration: "reg-1", workflow: "org-1-build"))
        }
        let ids = try await store.read { try $0.attachments(organizationID: "org-1", workflowID: nil, registrationID: nil).map(\.id) }
        #expect(ids == ["att-2"])
    }

    // MARK: Content

    static func checkContentReferences(_ store: any Store) async throws {
        try await seedTwoOrganizations(store)
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        try await store.write { tx in
            try tx.recordContent(organizationID: "org-1", digest: digest, size: 42, at: start)
            try tx.recordContent(organizationID: "org-1", digest: digest, size: 42, at: at(1))
        }
        let sizes = try await store.read { tx in
            (
                own: try tx.contentSize(organizationID: "org-1", digest: digest),
                other: try tx.contentSize(organizationID: "org-2", digest: digest),
                unknown: try tx.contentSize(organizationID: "org-1", digest: "sha256:00")
            )
        }
        #expect(sizes.own == 42)
        #expect(sizes.other == nil, "another organization's upload is not visible")
        #expect(sizes.unknown == nil)
    }

    // MARK: Keys, attestations and deliveries

    static func checkVerificationKeys(_ store: any Store) async throws {
        try await seedTwoOrganizations(store)
        let zeta = OrganizationKey(id: "key-1", organizationID: "org-1", name: "zeta", publicKeyPEM: "PEM-1", createdAt: start)
        let alpha = OrganizationKey(id: "key-2", organizationID: "org-1", name: "alpha", publicKeyPEM: "PEM-2", createdAt: start)
        try await store.write { tx in
            try tx.insertVerificationKey(zeta)
            try tx.insertVerificationKey(alpha)
        }
        #expect(try await store.read { try $0.verificationKeys(organizationID: "org-1") } == [alpha, zeta])
        #expect(try await store.read { try $0.verificationKeys(organizationID: "org-2") }.isEmpty)
        await expectError(.alreadyExists, "A key named 'zeta' already exists; choose another name.") {
            try await store.write { tx in
                try tx.insertVerificationKey(OrganizationKey(id: "key-3", organizationID: "org-1", name: "zeta", publicKeyPEM: "P", createdAt: start))
            }
        }
    }

    static func attestation(
        _ id: String, organization: String = "org-1", workflow: String = "org-1-build", digest: String? = nil, createdAt: Date = start
    )
        -> AttestationRecord
    {
        AttestationRecord(
            id: id,
            organizationID: organization,
            workflowID: workflow,
            digest: digest ?? "sha256:\(id)",
            envelope: Data(#"{"payloadType":"application/vnd.in-toto+json"}"#.utf8),
            annotations: ["branch": "main"],
            materials: [
                StoredMaterial(name: "sbom", type: "SBOM_CYCLONEDX_JSON", filename: "sbom.json", digest: "sha256:c-\(id)", uploadedToCAS: true),
                StoredMaterial(name: "image", type: "CONTAINER_IMAGE", value: "ghcr.io/x/y", digest: "sha256:img", tag: "v1"),
            ],
            runnerType: "GITHUB_ACTION",
            runURL: "https://ci.example/run/1",
            startedAt: createdAt.addingTimeInterval(-60),
            verifiedBy: nil,
            warnings: ["content sha256:c-\(id) is not in CAS yet"],
            createdAt: createdAt
        )
    }

    static func checkAttestations(_ store: any Store) async throws {
        try await seedTwoOrganizations(store)
        let first = attestation("att-1", createdAt: at(1))
        let second = attestation("att-2", createdAt: at(2))
        let sameDigestElsewhere = attestation("att-3", workflow: "org-1-deploy", digest: "sha256:att-1", createdAt: at(3))
        try await store.write { tx in
            try tx.insertAttestation(first)
            try tx.insertAttestation(second)
            try tx.insertAttestation(sameDigestElsewhere)
            try tx.insertAttestation(attestation("att-4", organization: "org-2", workflow: "org-2-build", createdAt: at(4)))
        }
        await expectError(.alreadyExists, "This workflow already has this attestation.") {
            try await store.write { try $0.insertAttestation(attestation("att-5", digest: "sha256:att-1")) }
        }
        let found = try await store.read { tx in
            (
                byID: try tx.attestation(organizationID: "org-1", id: "att-1"),
                otherOrgByID: try tx.attestation(organizationID: "org-2", id: "att-1"),
                byDigest: try tx.attestation(organizationID: "org-1", workflowID: "org-1-build", digest: "sha256:att-1"),
                allWithDigest: try tx.attestations(organizationID: "org-1", digest: "sha256:att-1").map(\.id),
                newest: try tx.attestations(organizationID: "org-1", workflowID: nil, since: nil, oldestFirst: false, limit: 2).map(\.id),
                build: try tx.attestations(organizationID: "org-1", workflowID: "org-1-build", since: at(2), oldestFirst: true, limit: 10)
                    .map(\.id),
                referencing: try tx.attestationIDs(organizationID: "org-1", referencingContent: "sha256:c-att-2"),
                notReferencedElsewhere: try tx.attestationIDs(organizationID: "org-2", referencingContent: "sha256:c-att-2")
            )
        }
        #expect(found.byID == first, "every field round-trips, JSON columns included")
        #expect(found.otherOrgByID == nil)
        #expect(found.byDigest == first)
        #expect(found.allWithDigest == ["att-1", "att-3"])
        #expect(found.newest == ["att-3", "att-2"])
        #expect(found.build == ["att-2"])
        #expect(found.referencing == ["att-2"])
        #expect(found.notReferencedElsewhere.isEmpty)
    }

    static func delivery(_ id: String, attestation: String?, attachment: String?, due: Date = start, kind: DeliveryKind = .attestation)
        -> Delivery
    {
        Delivery(
            id: id,
            organizationID: "org-1",
            registrationID: "reg-1",
            attachmentID: attachment,
            attestationID: attestation,
            workflowID: attestation == nil ? nil : "org-1-build",
            kind: kind,
            nextAttemptAt: due,
            createdAt: due,
            updatedAt: due
        )
    }

    /// Two organizations, a registration attached to org-1's build workflow, and two attestations of it.
    static func seedDeliveryFixtures(_ store: any Store) async throws {
        try await seedTwoOrganizations(store)
        try await store.write { tx in
            try tx.insertRegistration(registration("reg-1", organization: "org-1", kind: "webhook"))
            try tx.insertAttachment(attachment("att-1", organization: "org-1", registration: "reg-1", workflow: "org-1-build"))
            try tx.insertAttestation(attestation("a-1", createdAt: at(1)))
            try tx.insertAttestation(attestation("a-2", createdAt: at(2)))
        }
    }

    static func checkDeliveries(_ store: any Store) async throws {
        try await seedDeliveryFixtures(store)
        try await store.write { tx in
            try tx.insertDelivery(delivery("d-1", attestation: "a-1", attachment: "att-1", due: at(1)))
            try tx.insertDelivery(delivery("d-2", attestation: "a-2", attachment: "att-1", due: at(2)))
            try tx.insertDelivery(delivery("d-3", attestation: nil, attachment: nil, due: at(3), kind: .test))
        }
        await expectError(.alreadyExists, "This attestation already has a delivery to this attachment.") {
            try await store.write { try $0.insertDelivery(delivery("d-4", attestation: "a-1", attachment: "att-1")) }
        }
        var first = try #require(try await store.read { try $0.delivery(organizationID: "org-1", id: "d-1") })
        #expect(first == delivery("d-1", attestation: "a-1", attachment: "att-1", due: at(1)))
        #expect(try await store.read { try $0.delivery(organizationID: "org-2", id: "d-1") } == nil)

        first.state = .delivered
        first.attempts = 2
        first.reason = ""
        first.updatedAt = at(10)
        let updated = first
        try await store.write { tx in
            try tx.updateDelivery(updated)
            try tx.insertAttempt(
                DeliveryAttempt(
                    deliveryID: "d-1", number: 1, startedAt: at(1), durationMilliseconds: 12, outcome: .retryable,
                    httpStatus: 503, error: "busy", retryAfterMilliseconds: 7_000))
            try tx.insertAttempt(
                DeliveryAttempt(
                    deliveryID: "d-1", number: 2, startedAt: at(9), durationMilliseconds: 3, outcome: .delivered,
                    httpStatus: 200))
            try tx.upsertPart(DeliveryPart(deliveryID: "d-1", partID: "material:sbom", outcome: .retryable, reference: nil, updatedAt: at(1)))
            try tx.upsertPart(DeliveryPart(deliveryID: "d-1", partID: "attestation", outcome: .delivered, reference: "ref-1", updatedAt: at(1)))
            try tx.upsertPart(DeliveryPart(deliveryID: "d-1", partID: "material:sbom", outcome: .delivered, reference: "tok", updatedAt: at(9)))
            // A delivered part stays delivered; an attempt recorded twice keeps its first record.
            try tx.upsertPart(DeliveryPart(deliveryID: "d-1", partID: "attestation", outcome: .retryable, reference: nil, updatedAt: at(9)))
            try tx.insertAttempt(
                DeliveryAttempt(
                    deliveryID: "d-1", number: 2, startedAt: at(10), durationMilliseconds: 99, outcome: .rejected, httpStatus: 400))
        }
        let details = try await store.read { tx in
            (
                delivery: try tx.delivery(organizationID: "org-1", id: "d-1"),
                attempts: try tx.attempts(deliveryID: "d-1"),
                parts: try tx.parts(deliveryID: "d-1"),
                delivered: try tx.deliveries(organizationID: "org-1", filter: DeliveryFilter(state: .delivered)).map(\.id),
                all: try tx.deliveries(organizationID: "org-1", filter: DeliveryFilter()).map(\.id),
                ofAttestation: try tx.deliveries(organizationID: "org-1", filter: DeliveryFilter(attestationID: "a-2")).map(\.id),
                ofWorkflow: try tx.deliveries(organizationID: "org-1", filter: DeliveryFilter(workflowID: "org-1-build", limit: 1)).map(\.id),
                otherOrg: try tx.deliveries(organizationID: "org-2", filter: DeliveryFilter()),
                exists: try tx.deliveryExists(attestationID: "a-2", attachmentID: "att-1"),
                missing: try tx.deliveryExists(attestationID: "a-2", attachmentID: "att-9"),
                counts: try tx.deliveryCounts(),
                earliest: try tx.earliestPendingAttempt()
            )
        }
        #expect(details.delivery == first)
        #expect(details.attempts.map(\.outcome) == [.retryable, .delivered])
        #expect(
            details.attempts.first
                == DeliveryAttempt(
                    deliveryID: "d-1", number: 1, startedAt: at(1), durationMilliseconds: 12,
                    outcome: .retryable, httpStatus: 503, error: "busy", retryAfterMilliseconds: 7_000))
        #expect(details.attempts.last?.retryAfterMilliseconds == nil)
        #expect(details.parts.map(\.partID) == ["attestation", "material:sbom"])
        #expect(details.parts.last?.reference == "tok" && details.parts.last?.outcome == .delivered)
        #expect(details.parts.first?.reference == "ref-1" && details.parts.first?.outcome == .delivered, "a delivered part stays delivered")
        #expect(details.attempts.last?.durationMilliseconds == 3, "the first record of attempt 2 stands")
        #expect(details.delivered == ["d-1"])
        #expect(details.all == ["d-3", "d-2", "d-1"], "newest first")
        #expect(details.ofAttestation == ["d-2"])
        #expect(details.ofWorkflow == ["d-2"])
        #expect(details.otherOrg.isEmpty)
        #expect(details.exists && !details.missing)
        #expect(
            details.counts == [
                DeliveryCount(integrationKind: "webhook", state: .delivered, count: 1),
                DeliveryCount(integrationKind: "webhook", state: .pending, count: 2),
            ])
        #expect(details.earliest == at(2))
    }

    /// Row-locking writers that lock a delivery, then read and extend its attempts, never lose an update: as the
    /// engine records attempts.
    static func checkLockedDeliveryUpdates(_ store: any Store) async throws {
        try await seedDeliveryFixtures(store)
        try await store.write { tx in try tx.insertDelivery(delivery("d-locked", attestation: nil, attachment: nil)) }
        let writers = 12
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    try await store.write(isolation: .rowLocking) { tx in
                        guard var locked = try tx.lockDelivery(organizationID: "org-1", id: "d-locked") else { return }
                        let next = try tx.attempts(deliveryID: locked.id).count + 1
                        try tx.insertAttempt(
                            DeliveryAttempt(
                                deliveryID: locked.id, number: next, startedAt: at(Double(next)), durationMilliseconds: 1, outcome: .retryable))
                        locked.attempts = next
                        try tx.updateDelivery(locked)
                    }
                }
            }
            try await group.waitForAll()
        }
        let (attempts, stored) = try await store.read { tx in
            (try tx.attempts(deliveryID: "d-locked").map(\.number), try tx.delivery(organizationID: "org-1", id: "d-locked"))
        }
        #expect(attempts.sorted() == Array(1...writers), "every writer saw the attempts of those before it")
        #expect(stored?.attempts == writers)
        #expect(try await store.write { try $0.lockDelivery(organizationID: "org-2", id: "d-locked") } == nil, "another organization's delivery")
    }

    static func checkConcurrentClaims(_ store: any Store) async throws {
        try await seedDeliveryFixtures(store)
        let ids = (0..<40).map { String(format: "d-%02d", $0) }
        try await store.write { tx in
            for (index, id) in ids.enumerated() {
                try tx.insertDelivery(delivery(id, attestation: nil, attachment: nil, due: at(Double(index % 5))))
            }
        }
        // Eight workers claim small batches from the same due set until nothing is left.
        let claims = try await withThrowingTaskGroup(of: [(String, String)].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var claimed: [(String, String)] = []
                    while true {
                        let batch = try await store.write(isolation: .rowLocking) { tx in
                            try tx.claimDueDeliveries(now: at(10), limit: 3, owner: "w\(worker)", leaseExpiresAt: at(40))
                        }
                        if batch.isEmpty { return claimed }
                        claimed += batch.map { ($0.id, $0.leaseOwner ?? "") }
                    }
                }
            }
            var all: [(String, String)] = []
            for try await claimed in group { all += claimed }
            return all
        }
        #expect(claims.map(\.0).sorted() == ids, "each due delivery is claimed exactly once")
        let owners = try await store.read { tx in
            try ids.map { try tx.delivery(organizationID: "org-1", id: $0)?.leaseOwner ?? "" }
        }
        let claimedOwners = Dictionary(claims, uniquingKeysWith: { first, _ in first })
        #expect(owners == ids.map { claimedOwners[$0] ?? "" }, "the stored lease names the worker that got the delivery")
    }

    static func checkClaiming(_ store: any Store) async throws {
        try await seedDeliveryFixtures(store)
        try await store.write { tx in
            try tx.insertDelivery(delivery("d-1", attestation: "a-1", attachment: "att-1", due: at(1)))
            try tx.insertDelivery(delivery("d-2", attestation: "a-2", attachment: "att-1", due: at(100)))
        }
        let first = try await store.write { try $0.claimDueDeliveries(now: at(5), limit: 10, owner: "w1", leaseExpiresAt: at(35)) }
        #expect(first.map(\.id) == ["d-1"], "only due deliveries")
        #expect(first.first?.leaseOwner == "w1" && first.first?.leaseExpiresAt == at(35))
        let whileLeased = try await store.write { try $0.claimDueDeliveries(now: at(6), limit: 10, owner: "w2", leaseExpiresAt: at(36)) }
        #expect(whileLeased.isEmpty, "a leased delivery is not claimed twice")
        let afterExpiry = try await store.write { try $0.claimDueDeliveries(now: at(40), limit: 10, owner: "w2", leaseExpiresAt: at(70)) }
        #expect(afterExpiry.map(\.id) == ["d-1"], "an expired lease can be claimed again")

        try await store.write { try $0.releaseLeases(owner: "w2") }
        let released = try #require(try await store.read { try $0.delivery(organizationID: "org-1", id: "d-1") })
        #expect(released.leaseOwner == nil && released.leaseExpiresAt == nil)

        try await store.write { try $0.wakeDeliveries(attestationIDs: ["a-2"], at: at(41)) }
        let woken = try await store.write { try $0.claimDueDeliveries(now: at(41), limit: 1, owner: "w3", leaseExpiresAt: at(71)) }
        #expect(woken.map(\.id) == ["d-1"], "the limit takes the earliest due first")
        let next = try await store.write { try $0.claimDueDeliveries(now: at(41), limit: 5, owner: "w3", leaseExpiresAt: at(71)) }
        #expect(next.map(\.id) == ["d-2"], "woken: due at once instead of at 100")

        var finished = try #require(next.first)
        finished.state = .failed
        finished.leaseOwner = nil
        finished.leaseExpiresAt = nil
        let failed = finished
        try await store.write { try $0.updateDelivery(failed) }
        let none = try await store.write { try $0.claimDueDeliveries(now: at(1_000), limit: 5, owner: "w4", leaseExpiresAt: at(1_030)) }
        #expect(none.map(\.id) == ["d-1"], "final deliveries are never claimed")
    }
}
