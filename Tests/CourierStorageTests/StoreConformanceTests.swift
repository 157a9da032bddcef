import CourierCore
import CourierStorage
import CourierTestSupport
import Testing

@Suite struct StoreConformanceTests {
    @Test(arguments: StoreKind.allCases, StoreConformance.allCases)
    func conforms(kind: StoreKind, check: StoreConformance) async throws {
        let (store, directory) = try await kind.makeStore()
        try await check.run(on: store)
        withExtendedLifetime(directory) {}
    }

    @Test(arguments: StoreKind.allCases)
    func servicesRunOnTheStore(kind: StoreKind) async throws {
        let (store, directory) = try await kind.makeStore()
        let clock = TestClock()
        let environment = ServiceEnvironment.testing(clock: clock)
        let access = AccessService(store: store, environment: environment)
        let workflows = WorkflowService(store: store, environment: environment)

        let owner = try #require(try await access.bootstrapIfEmpty())
        #expect(try await access.bootstrapIfEmpty() == nil)
        let principal = try await access.authenticate(bearer: owner.secret)
        #expect(principal.role == .owner)

        clock.advance(by: 1)
        let created = try await workflows.create(name: "build", project: "web", by: principal)
        #expect(try await workflows.get(name: "build", project: "web", by: principal) == created)
        let robot = try await access.createToken(
            name: "ci",
            role: .robot,
            scope: WorkflowScope(project: "web", workflow: "build"),
            by: principal
        )
        #expect(try await access.listTokens(by: principal).map(\.name) == ["owner", "ci"])

        try await access.revokeToken(named: "ci", by: principal)
        await #expect(throws: CourierError.self) { try await access.authenticate(bearer: robot.secret) }
        try await workflows.delete(name: "build", project: "web", by: principal)
        #expect(try await workflows.list(project: nil, by: principal).isEmpty)
        withExtendedLifetime(directory) {}
    }
}
