import CourierCore
import CourierIntegrationKit
import Foundation
import Synchronization

/// A fake integration, `scripted`, subscribed to CycloneDX SBOMs, whose executions return outcomes from a script
/// and record what they received.
final class ScriptedIntegration: Integration {
    static let descriptor = IntegrationDescriptor(
        id: "scripted",
        version: "1.0",
        description: "Answers from a script",
        subscribedMaterials: [.sbomCycloneDXJSON],
        registration: NoInput.self
    )

    /// What one execution does.
    enum Step: Sendable {
        case outcome(ExecutionOutcome)
        /// Never returns until cancelled.
        case hang
        /// One part per subscribed material, each delivered unless its name is listed as failing.
        case partsFailing(Set<String>)
    }

    struct Execution: Sendable {
        var deliveryID: String
        var attempt: Int
        var deliveredParts: [String: String]
        var materials: [String: Data]
        var workflow: String
    }

    private let script = Mutex<[Step]>([])
    private let executions = Mutex<[Execution]>([])

    /// Sets the steps of the next executions; when they run out, executions are delivered.
    func plan(_ steps: [Step]) { script.withLock { $0 = steps } }

    var recorded: [Execution] { executions.withLock { $0 } }

    func register(_ input: NoInput, context: IntegrationContext) async throws -> Registration {
        Registration(configuration: [:])
    }

    func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        var materials: [String: Data] = [:]
        for material in request.materials {
            materials[material.name] = try? material.content.open().readToEnd()
        }
        executions.withLock {
            $0.append(
                Execution(
                    deliveryID: request.progress.deliveryID,
                    attempt: request.progress.attempt,
                    deliveredParts: request.progress.deliveredParts,
                    materials: materials,
                    workflow: "\(request.workflow.project)/\(request.workflow.name)"
                )
            )
        }
        let step = script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        switch step {
        case nil: return .delivered(reference: "ok")
        case .outcome(let outcome): return outcome
        case .hang:
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
            return .delivered(reference: "too late")
        case .partsFailing(let failing):
            return .parts(
                request.materials.map { material in
                    let id = "material:\(material.name)"
                    if request.progress.isDelivered(id) {
                        return PartOutcome(partID: id, outcome: .delivered(reference: request.progress.deliveredParts[id]))
                    }
                    return PartOutcome(
                        partID: id,
                        outcome: failing.contains(material.name)
                            ? .retryable(reason: "\(material.name) failed", retryAfter: nil) : .delivered(reference: "tok-\(material.name)")
                    )
                }
            )
        }
    }
}
