import CourierWire
import Foundation
import Testing

@testable import CourierCLI

@Suite("Settings and config file")
struct SettingsTests {
    private func environment(_ variables: [String: String], home: String = "/home/ada") -> CLIEnvironment {
        CLIEnvironment(variables: variables, fallbackHomeDirectory: home)
    }

    @Test func findsTheConfigFileUnderXDGConfigHomeThenHome() {
        #expect(environment(["XDG_CONFIG_HOME": "/xdg", "HOME": "/h"]).configFile.path == "/xdg/courier/config.json")
        #expect(environment(["XDG_CONFIG_HOME": "", "HOME": "/h"]).configFile.path == "/h/.config/courier/config.json")
        #expect(environment([:]).configFile.path == "/home/ada/.config/courier/config.json")
    }

    @Test func prefersFlagThenEnvironmentThenConfigFileThenDefault() throws {
        let harness = Harness()
        try ConfigFile(server: "http://file:3", token: "file-token").save(to: harness.configFile)
        let variables = ["HOME": harness.home.path, "COURIER_SERVER": "http://env:2", "COURIER_TOKEN": "env-token"]

        let fromFlags = try Settings.resolve(GlobalOptions(server: "http://flag:1", token: "flag-token"), environment: environment(variables))
        #expect(fromFlags == Settings(server: URL(string: "http://flag:1")!, token: "flag-token"))

        let fromEnvironment = try Settings.resolve(GlobalOptions(), environment: environment(variables))
        #expect(fromEnvironment == Settings(server: URL(string: "http://env:2")!, token: "env-token"))

        let fromFile = try Settings.resolve(GlobalOptions(), environment: environment(["HOME": harness.home.path]))
        #expect(fromFile == Settings(server: URL(string: "http://file:3")!, token: "file-token"))

        let defaults = try Settings.resolve(GlobalOptions(), environment: environment(["HOME": "/nonexistent-home"]))
        #expect(defaults == Settings(server: URL(string: Settings.defaultServer)!, token: nil))
    }

    @Test func mixesSourcesPerSetting() throws {
        let harness = Harness()
        try ConfigFile(server: "http://file:3", token: "file-token").save(to: harness.configFile)
        let settings = try Settings.resolve(
            GlobalOptions(token: "flag-token"),
            environment: environment(["HOME": harness.home.path])
        )
        #expect(settings == Settings(server: URL(string: "http://file:3")!, token: "flag-token"))
    }

    @Test func writesTheConfigFileReadableOnlyByItsOwner() throws {
        let harness = Harness()
        try ConfigFile(server: "http://s:1", token: "secret").save(to: harness.configFile)
        let fileMode = try FileManager.default.attributesOfItem(atPath: harness.configFile.path)[.posixPermissions] as? Int
        let directoryMode =
            try FileManager.default.attributesOfItem(atPath: harness.configFile.deletingLastPathComponent().path)[
                .posixPermissions] as? Int
        #expect(fileMode == 0o600)
        #expect(directoryMode == 0o700)
        #expect(try ConfigFile.load(from: harness.configFile) == ConfigFile(server: "http://s:1", token: "secret"))
        let remaining = try FileManager.default.contentsOfDirectory(atPath: harness.configFile.deletingLastPathComponent().path)
        #expect(remaining == ["config.json"])
    }

    @Test func reportsABadConfigFileAsARuntimeFailure() async throws {
        let harness = Harness()
        try FileManager.default.createDirectory(at: harness.configFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("not json".utf8).write(to: harness.configFile)
        let result = await harness.run(["workflow", "list"])
        #expect(result.status == 1)
        #expect(
            result.standardError == """
                Error: The config file \(harness.configFile.path) is not valid JSON of the form {"server": ..., "token": ...}; \
                fix it, delete it or run 'courier login' again.

                """)
        #expect(harness.transport.requests.isEmpty)
    }

    @Test func rejectsAServerThatIsNotAnHTTPURL() async {
        let result = await Harness().run(["workflow", "list", "--server", "ftp://x", "--token", "t"])
        #expect(result.status == 1)
        #expect(
            result.standardError
                == "Error: The server address 'ftp://x' is not an http or https URL; use for example --server http://127.0.0.1:8080.\n")
    }

    @Test func usesTheEnvironmentWhenRunning() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/workflows", json: WorkflowListDTO(workflows: []))
        let result = await harness.run(["workflow", "list"], environment: ["COURIER_SERVER": "http://env:9", "COURIER_TOKEN": "env-token"])
        #expect(result.status == 0)
        #expect(harness.transport.requests.first?.url.absoluteString == "http://env:9/v1/workflows")
        #expect(harness.transport.requests.first?.headers["Authorization"] == "Bearer env-token")
    }

    @Test func failsEarlyWithoutAToken() async {
        let harness = Harness()
        let result = await harness.run(["token", "list"])
        #expect(result.status == 1)
        #expect(
            result.standardError
                == "Error: No API token is configured; pass --token, set COURIER_TOKEN, or run 'courier login --server URL --token T'.\n")
        #expect(harness.transport.requests.isEmpty)
    }
}
