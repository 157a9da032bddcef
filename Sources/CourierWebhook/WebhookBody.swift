import CourierIntegrationKit
import Foundation

/// The JSON bodies the webhook sends: `{"Metadata": …, "Data": "<base64>", "Kind": "…"}`, keys in upstream's order.
///
/// **Attestation payload.** `Data` of an `ATTESTATION` message is the base64 of
/// `{"Envelope": <DSSE>, "Hash": "sha256:<hex>", "Statement": <in-toto statement>, "Predicate": <predicate>}`, like
/// upstream, with one deliberate difference: upstream renders `Statement` and the materials inside `Predicate` with
/// Go's `encoding/json` over protobuf structs (`type` instead of `_type`, every `Struct` as
/// `{"fields": {"k": {"Kind": {"StringValue": "v"}}}}`). Courier sends instead:
/// - `Envelope`: the DSSE envelope bytes exactly as stored, so `Hash` can be checked against them;
/// - `Statement`: the envelope's decoded payload, i.e. the in-toto statement exactly as signed;
/// - `Predicate`: the statement's `predicate` object in plain JSON (keys sorted).
/// Receivers that read `Envelope`, as upstream's own documentation suggests, see no difference.
enum WebhookBody {
    /// The metadata of the registration test message: upstream's fixed names, zero values elsewhere.
    static let testMetadata = metadata(
        workflow: ["", "test-webhook-workflow", "", ""],
        run: ["test-webhook-run", "", goZeroTime, goZeroTime, "", "", ""]
    )

    /// Go's zero `time.Time` as RFC 3339, which upstream sends for absent times.
    static let goZeroTime = "0001-01-01T00:00:00Z"

    /// Upstream's `Metadata` as JSON text: `{"Workflow": {"ID","Name","Team","Project"}, "WorkflowRun": {…}}` with
    /// RFC 3339 times.
    static func metadata(workflow: WorkflowMetadata, run: RunMetadata) -> String {
        metadata(
            workflow: [workflow.id, workflow.name, workflow.team, workflow.project],
            run: [
                run.id, run.state, rfc3339(run.startedAt), run.finishedAt.map(rfc3339) ?? goZeroTime, run.runnerType, run.runURL,
                run.attestationDigest,
            ]
        )
    }

    /// Written field by field rather than through a `JSONValue` tree: this runs for every webhook delivery.
    private static func metadata(workflow: [String], run: [String]) -> String {
        func object(_ names: [String], _ values: [String]) -> String {
            "{" + zip(names, values).map { JSONValue.string($0).serialized() + ":" + JSONValue.string($1).serialized() }.joined(separator: ",") + "}"
        }
        return "{\"Workflow\":" + object(["ID", "Name", "Team", "Project"], workflow) + ",\"WorkflowRun\":"
            + object(["ID", "State", "StartedAt", "FinishedAt", "RunnerType", "RunURL", "AttestationDigest"], run) + "}"
    }

    /// The message body, built directly from the payload bytes (one base64 copy, no re-encoding of the JSON).
    static func body(metadata: String, kind: String, payload: Data) -> Data {
        prefix(metadata: metadata) + payload.base64EncodedData() + suffix(kind: kind)
    }

    /// The same message body as a stream that base64-encodes the payload while it is read, so a large SBOM is never
    /// held in memory.
    static func body(metadata: String, kind: String, payload: HTTPBodyStream) -> HTTPBodyStream {
        .concatenating([.bytes(prefix(metadata: metadata)), .stream(payload.base64Encoded()), .bytes(suffix(kind: kind))])
    }

    /// `{"Metadata":<metadata>,"Data":"`: what precedes the base64 payload.
    private static func prefix(metadata: String) -> Data {
        Data("{\"Metadata\":\(metadata),\"Data\":\"".utf8)
    }

    /// `","Kind":"<kind>"}`: what follows the base64 payload.
    private static func suffix(kind: String) -> Data {
        Data("\",\"Kind\":\(JSONValue.string(kind).serialized())}".utf8)
    }

    /// The `ATTESTATION` payload described above.
    ///
    /// - Throws: ``PayloadFailure/rejected(_:)`` when the envelope is not DSSE JSON with a JSON payload.
    static func attestationData(_ attestation: AttestationInput) throws(PayloadFailure) -> Data {
        guard let envelope = try? JSONValue(parsing: attestation.envelope).objectValue,
            let encodedStatement = envelope["payload"]?.stringValue,
            let statement = Data(base64Encoded: encodedStatement),
            let statementObject = try? JSONValue(parsing: statement).objectValue
        else { throw .rejected("the attestation envelope is not a DSSE envelope with a JSON payload") }
        var data = Data("{\"Envelope\":".utf8)
        data.append(attestation.envelope)
        data.append(contentsOf: ",\"Hash\":\(JSONValue.string(attestation.hash).serialized()),\"Statement\":".utf8)
        data.append(statement)
        data.append(contentsOf: ",\"Predicate\":\((statementObject["predicate"] ?? .null).serialized())}".utf8)
        return data
    }

    /// RFC 3339 in UTC like Go's `time.Time` JSON: whole seconds, plus up to nine fractional digits when non-zero.
    /// Written directly from the proleptic Gregorian calendar (written for every webhook, so no formatter).
    static func rfc3339(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let nanoseconds = Int(((date.timeIntervalSince1970 - seconds) * 1e9).rounded())
        let whole = Int64(seconds)
        let day = whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400
        let time = whole - day * 86_400
        let (year, month, dayOfMonth) = civilDate(daysSince1970: day)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(dayOfMonth, 2) + "T" + pad(time / 3_600, 2) + ":"
        text += pad(time / 60 % 60, 2) + ":" + pad(time % 60, 2)
        if nanoseconds > 0, nanoseconds < 1_000_000_000 {
            var fraction = pad(Int64(nanoseconds), 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }

    /// Year, month and day of the day `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    private static func civilDate(daysSince1970 days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
