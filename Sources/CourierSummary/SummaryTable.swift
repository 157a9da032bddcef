import CourierAttestation
import CourierIntegrationKit
import Foundation

/// The human summary of an attestation that chat and mail integrations send, laid out as upstream's `SummaryTable`
/// (SDK helpers, spec §2.9): a `Workflow` table (workflow, run, attestation annotations), a `Materials` table and an
/// `Environment Variables` table, then a footer telling how to get the full attestation.
///
/// ```swift
/// let text = try SummaryTable.render(request, format: .text, maxSize: 4000,
///                                    fullAttestationCommand: SummaryTable.courierCommand(digest: request.run.attestationDigest))
/// ```
public enum SummaryTable {
    /// The output formats.
    public enum Format: Sendable, Hashable {
        /// Box-drawn tables (go-pretty's "light" style).
        case text
        /// Markdown: a `#` title and pipe rows per table.
        case markdown
        /// An HTML `<table>` per table.
        case html
    }

    /// What replaces the cut end of a summary truncated to its size limit.
    public static let truncationMarker = "... (truncated)"
    /// How many characters of a material's value fit on one line before it wraps.
    public static let valueWrapWidth = 100

    /// Courier's footer command: `$ courier attestation describe <digest>`.
    public static func courierCommand(digest: String) -> String {
        "$ courier attestation describe \(digest)"
    }

    /// Upstream's footer command: `$ chainloop workflow run describe --id <runID> -o statement`.
    public static func chainloopCommand(runID: String) -> String {
        "$ chainloop workflow run describe --id \(runID) -o statement"
    }

    /// Renders the summary of `request` in `format`.
    ///
    /// - Parameters:
    ///   - maxSize: when set, the summary holds at most this many characters (Unicode scalars, as upstream counts
    ///     runes): the tables are cut and end with ``truncationMarker``; the footer is always kept whole.
    ///   - fullAttestationCommand: the command shown under `Get Full Attestation`.
    /// - Throws: ``SummaryError`` when the attestation's predicate cannot be read.
    public static func render(
        _ request: ExecutionRequest, format: Format, maxSize: Int? = nil, fullAttestationCommand: String
    ) throws(SummaryError) -> String {
        let predicate: ChainloopPredicate
        do {
            predicate = try AttestationDocument.parse(request.attestation.envelope).predicate
        } catch {
            throw SummaryError("reading the attestation predicate: \(error.message)")
        }
        let tables = tables(for: request, predicate: predicate)
        var body = tables.map { $0.rendered(as: format) }.joined(separator: "\n")
        let footer = "\n\nGet Full Attestation\n\n" + fullAttestationCommand
        if let maxSize, body.unicodeScalars.count + footer.unicodeScalars.count > maxSize {
            let keep = max(0, maxSize - footer.unicodeScalars.count - truncationMarker.unicodeScalars.count)
            body = String(String.UnicodeScalarView(body.unicodeScalars.prefix(keep))) + truncationMarker
        }
        return body + footer
    }

    private static func tables(for request: ExecutionRequest, predicate: ChainloopPredicate) -> [SummaryBoxTable] {
        var workflow = SummaryBoxTable(title: "Workflow")
        workflow.append(["ID", request.workflow.id])
        workflow.append(["Name", request.workflow.name])
        workflow.append(["Team", request.workflow.team])
        workflow.append(["Project", request.workflow.project])
        workflow.appendSeparator()
        workflow.append(["Workflow Run"])
        workflow.appendSeparator()
        workflow.append(["ID", request.run.id])
        workflow.append(["Attestation", request.run.attestationDigest])
        workflow.append(["Started At", rfc822(request.run.startedAt)])
        workflow.append(["Finished At", request.run.finishedAt.map(rfc822) ?? ""])
        workflow.append(["State", request.run.state])
        workflow.append(["Runner Link", request.run.runURL])
        let annotations = request.attestation.annotations.isEmpty ? predicate.annotations : request.attestation.annotations
        appendAnnotations(annotations, to: &workflow)
        var tables = [workflow]

        if !predicate.materials.isEmpty {
            var materials = SummaryBoxTable(title: "Materials")
            for material in predicate.materials {
                materials.append(["Name", material.name])
                materials.append(["Type", material.typeName])
                materials.append(["Value", wrapped(displayValue(of: material))])
                if let digest = material.digest { materials.append(["Digest", digest]) }
                appendAnnotations(material.annotations, to: &materials)
                materials.appendSeparator()
            }
            tables.append(materials)
        }

        if !predicate.environment.isEmpty {
            var environment = SummaryBoxTable(title: "Environment Variables", header: ["Name", "Value"])
            for name in predicate.environment.keys.sorted() {
                environment.append([name, predicate.environment[name] ?? ""])
            }
            tables.append(environment)
        }
        return tables
    }

    private static func appendAnnotations(_ annotations: [String: String], to table: inout SummaryBoxTable) {
        guard !annotations.isEmpty else { return }
        table.append(["Annotations", "------"])
        for key in annotations.keys.sorted() {
            table.append(["", "\(key): \(annotations[key] ?? "")"])
        }
    }

    /// The file name of uploaded or inline artifacts, otherwise the value.
    private static func displayValue(of material: NormalizedMaterial) -> String {
        if material.uploadedToCAS || material.embeddedInline { return material.filename ?? "" }
        return material.value ?? ""
    }

    /// `text` cut into lines of at most ``valueWrapWidth`` characters.
    private static func wrapped(_ text: String) -> String {
        var lines: [Substring] = []
        var rest = Substring(text)
        while rest.count > valueWrapWidth {
            lines.append(rest.prefix(valueWrapWidth))
            rest = rest.dropFirst(valueWrapWidth)
        }
        lines.append(rest)
        return lines.joined(separator: "\n")
    }

    /// Go's `time.RFC822` in UTC: `22 Nov 21 00:00 UTC`.
    private static func rfc822(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd MMM yy HH:mm"
        return formatter.string(from: date) + " UTC"
    }
}

/// Why a summary could not be rendered.
public struct SummaryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
