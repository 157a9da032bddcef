import CourierIntegrationKit
import Foundation

/// Renders RFC 5322 messages: CRLF line endings, `Date` and `Message-ID`, an HTML body in base64 (so that no line
/// exceeds the SMTP limit and no body line can be taken for the end of DATA).
enum MailComposer {
    /// The message with headers `From`, `To`, `Cc` (when there is a CC), `Subject`, `Date`, `Message-ID`,
    /// `MIME-Version`, `Content-Type: text/html; charset="UTF-8"` and `Content-Transfer-Encoding: base64`.
    static func message(
        from sender: String, to recipient: String, cc: String?, subject: String, htmlBody: String, date: Date, messageID: String
    ) -> Data {
        var headers = [("From", sender), ("To", recipient)]
        if let cc, !cc.isEmpty { headers.append(("Cc", cc)) }
        headers += [
            ("Subject", subject),
            ("Date", rfc5322Date(date)),
            ("Message-ID", messageID),
            ("MIME-Version", "1.0"),
            ("Content-Type", #"text/html; charset="UTF-8""#),
            ("Content-Transfer-Encoding", "base64"),
        ]
        // Header values come from validated input, but a line break must never start a header of its own.
        let headerLines = headers.map { name, value in "\(name): \(value.filter { $0 != "\r" && $0 != "\n" })" }
        let encoded = Array(Data(htmlBody.utf8).base64EncodedString().utf8)
        let bodyLines = stride(from: 0, to: encoded.count, by: 76).map { String(decoding: encoded[$0..<min($0 + 76, encoded.count)], as: UTF8.self) }
        return Data((headerLines + [""] + bodyLines).joined(separator: "\r\n").utf8 + Data("\r\n".utf8))
    }

    /// A globally unique `Message-ID`, `<uuid@domain of the sender>`.
    static func messageID(sender: String) -> String {
        let domain = sender.split(separator: "@").last.map(String.init) ?? "courier.invalid"
        return "<\(UUID().uuidString.lowercased())@\(domain)>"
    }

    /// `Thu, 01 Jan 2026 10:00:00 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}

/// The HTML bodies of the integration's two messages.
enum MailBody {
    /// The welcome message sent at registration: what was registered, as upstream's text lists it.
    static func welcome(pluginVersion: String, host: String, port: String, user: String, from: String, to: String) -> String {
        let rows = [
            ("Plugin", "smtp \(pluginVersion)"), ("Host", host), ("Port", port), ("User", user), ("From", from), ("To", to),
        ]
        return """
            <html><body>
            <p>This email has been delivered via integration smtp version \(escape(pluginVersion)).</p>
            <p>The integration has been registered with these settings:</p>
            \(table(rows))
            </body></html>
            """
    }

    /// The run-finished message: the attestation's essentials (workflow, run, annotations, materials).
    ///
    /// The one place the summary is composed, so that it can switch to the shared summary renderer (upstream's
    /// `SummaryTable`, HTML format) once that exists.
    static func runFinished(_ request: ExecutionRequest) -> String {
        let run = request.run
        var workflowRows = [
            ("ID", request.workflow.id), ("Name", request.workflow.name), ("Team", request.workflow.team),
            ("Project", request.workflow.project),
        ]
        workflowRows += [
            ("Run ID", run.id), ("Attestation", run.attestationDigest), ("Started At", rfc822(run.startedAt)),
            ("Finished At", run.finishedAt.map(rfc822) ?? ""), ("State", run.state), ("Runner Link", run.runURL),
        ]
        var sections = ["<h2>Workflow</h2>", table(workflowRows)]
        let annotations = request.attestation.annotations.sorted { $0.key < $1.key }
        if !annotations.isEmpty {
            sections += ["<h3>Annotations</h3>", table(annotations.map { ($0.key, $0.value) })]
        }
        if !request.materials.isEmpty {
            sections.append("<h2>Materials</h2>")
            for material in request.materials {
                var rows = [("Name", material.name), ("Type", material.type.rawValue)]
                if let value = material.filename ?? material.value { rows.append(("Value", value)) }
                if let digest = material.digest { rows.append(("Digest", digest)) }
                sections.append(table(rows))
            }
        }
        sections += [
            "<p>Get Full Attestation</p>",
            "<pre>$ chainloop workflow run describe --id \(escape(run.id)) -o statement</pre>",
        ]
        return "<html><body>\n" + sections.joined(separator: "\n") + "\n</body></html>"
    }

    private static func table(_ rows: [(String, String)]) -> String {
        let body = rows.map { "<tr><th align=\"left\">\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }
        return "<table>\n" + body.joined(separator: "\n") + "\n</table>"
    }

    /// Upstream's time format, RFC 822 (`22 Nov 21 00:00 UTC`).
    private static func rfc822(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd MMM yy HH:mm 'UTC'"
        return formatter.string(from: date)
    }

    /// Escapes text for HTML element content and attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
