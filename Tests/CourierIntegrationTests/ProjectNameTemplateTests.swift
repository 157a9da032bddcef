import CourierDependencyTrack
import Testing

@Suite struct ProjectNameTemplateTests {
    static let material = ["hello": "hola", "chainloop.material.name": "sbom"]
    static let attestation = ["version": "1.2.3"]

    /// Upstream's vectors (`extension_test.go`): template → resolved name, or `nil` for an error.
    static let vectors: [(String, String?)] = [
        ("hi", "hi"),
        ("{.Hello}", "{.Hello}"),
        ("{.Hello", "{.Hello"),
        ("{{.Hello", nil),
        ("{{.Material.Annotations.Hello}}-project", "hola-project"),
        ("project-{{.Material.Annotations.Hello}}-{{.Attestation.Annotations.version}}", "project-hola-1.2.3"),
        ("{{.Attestation.Annotations.Version}}", "1.2.3"),
        ("{{ .Material.Annotations.hello }}", "hola"),
        ("{{.Material.Annotations.missing}}", nil),
        ("{{.Hello}}", nil),
        ("{{.Material.Annotations}}", nil),
    ]

    @Test(arguments: vectors) func resolvesLikeUpstream(template: String, expected: String?) {
        let resolved = try? ProjectNameTemplate(parsing: template).resolve(
            materialAnnotations: Self.material, attestationAnnotations: Self.attestation)
        #expect(resolved == expected)
    }

    @Test func parseErrorsUseGoWording() {
        #expect(throws: Never.self) { try ProjectNameTemplate(parsing: "{{.Material.Annotations.x}}") }
        do {
            _ = try ProjectNameTemplate(parsing: "{{.Hello")
            Issue.record("parsed an unclosed action")
        } catch {
            #expect(error.message == "template: projectName:1: unclosed action")
        }
        #expect(throws: ProjectNameTemplateError.self) { try ProjectNameTemplate(parsing: "{{index .Material \"x\"}}") }
    }

    @Test func titleCasingFollowsGo() {
        #expect(ProjectNameTemplate.titleCased("hello") == "Hello")
        #expect(ProjectNameTemplate.titleCased("hello.world-x_y") == "Hello.World-X_y")
    }
}

@Suite struct AnnotationFilterTests {
    static let material = ["component": "api", "env": "staging"]
    static let attestation = ["env": "prod", "team": "core"]

    static let vectors: [(String, String?)] = [
        ("component=api", nil),
        ("team=core", nil),
        ("env=staging", nil),
        ("env=prod", "material annotation mismatch: env"),
        ("team=other", "attestation annotation mismatch: team"),
        ("owner=alice", "missing required annotation: owner"),
        ("component=api, team=core", nil),
        ("component=api,team=edge", "attestation annotation mismatch: team"),
        ("url=a=b", "missing required annotation: url"),
    ]

    @Test(arguments: vectors) func materialAnnotationsTakePrecedence(filter: String, expected: String?) throws {
        let parsed = try AnnotationFilter(parsing: filter)
        #expect(parsed.mismatch(materialAnnotations: Self.material, attestationAnnotations: Self.attestation) == expected)
    }

    @Test(arguments: ["env", "=prod", "env=", "a=b,", "a=b,,c=d"]) func malformedSegmentsAreRefused(filter: String) {
        #expect(throws: AnnotationFilterError.self) { try AnnotationFilter(parsing: filter) }
    }

    @Test func segmentsAreTrimmedAndSplitAtTheFirstEquals() throws {
        let parsed = try AnnotationFilter(parsing: " a=b , url=x=y ")
        #expect(parsed.conditions.map(\.key) == ["a", "url"])
        #expect(parsed.conditions.map(\.value) == ["b", "x=y"])
    }
}
