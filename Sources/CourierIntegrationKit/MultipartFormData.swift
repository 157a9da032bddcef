import Foundation

/// A `multipart/form-data` body (RFC 7578) built by hand: plain fields and file parts, in order.
///
/// ```swift
/// var form = MultipartFormData()
/// form.addField("project", "4f1c…")
/// form.addFile("files[0]", filename: "statement.txt", contentType: "text/plain", data: summary)
/// let request = OutboundHTTPRequest(method: "POST", url: url, headers: [form.contentTypeHeader], body: form.body)
/// ```
public struct MultipartFormData: Sendable, Hashable {
    /// The boundary separating parts; it must not occur in any part's content.
    public let boundary: String
    private var encoded = Data()

    /// Creates an empty form with `boundary`, by default a random one.
    public init(boundary: String = "courier-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()) {
        self.boundary = boundary
    }

    /// The `Content-Type` header announcing the boundary.
    public var contentTypeHeader: HTTPHeaderField {
        HTTPHeaderField("Content-Type", "multipart/form-data; boundary=\(boundary)")
    }

    /// Appends a plain form field (no filename) whose value is `data`, sent as is.
    public mutating func addField(_ name: String, data: Data) {
        appendPart(disposition: "form-data; name=\"\(Self.quoted(name))\"", contentType: nil, data: data)
    }

    /// Appends a plain form field holding the UTF-8 text `value`.
    public mutating func addField(_ name: String, _ value: String) {
        addField(name, data: Data(value.utf8))
    }

    /// Appends a file part named `name` with `filename` and `contentType`.
    public mutating func addFile(_ name: String, filename: String, contentType: String, data: Data) {
        appendPart(
            disposition: "form-data; name=\"\(Self.quoted(name))\"; filename=\"\(Self.quoted(filename))\"",
            contentType: contentType, data: data
        )
    }

    /// The encoded body, closing delimiter included.
    public var body: Data {
        encoded + Data("--\(boundary)--\r\n".utf8)
    }

    private mutating func appendPart(disposition: String, contentType: String?, data: Data) {
        var head = "--\(boundary)\r\nContent-Disposition: \(disposition)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        encoded.append(Data((head + "\r\n").utf8))
        encoded.append(data)
        encoded.append(Data("\r\n".utf8))
    }

    /// Escapes a name for a quoted-string parameter, as browsers do (RFC 7578 §4.2).
    private static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }
}
