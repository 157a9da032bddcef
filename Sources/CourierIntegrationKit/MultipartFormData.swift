import Foundation

/// A `multipart/form-data` body (RFC 7578) built by hand: plain fields and file parts, in order. A part may be a
/// stream, which is then read while the request is sent.
///
/// ```swift
/// var form = MultipartFormData()
/// form.addField("project", "4f1c…")
/// form.addFile("files[0]", filename: "statement.txt", contentType: "text/plain", data: summary)
/// let request = OutboundHTTPRequest(method: "POST", url: url, headers: [form.contentTypeHeader], body: form.body)
/// ```
public struct MultipartFormData: Sendable {
    /// The boundary separating parts; it must not occur in any part's content.
    public let boundary: String
    /// The encoded parts so far: bytes, with each streamed part's content between them.
    private var segments: [OutboundHTTPBody] = [.bytes(Data())]

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

    /// Appends a plain form field (no filename) whose value is read from `stream` when the body is sent.
    public mutating func addField(_ name: String, stream: HTTPBodyStream) {
        appendHead(disposition: "form-data; name=\"\(Self.quoted(name))\"", contentType: nil)
        segments.append(.stream(stream))
        segments.append(.bytes(Data("\r\n".utf8)))
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

    /// The encoded body, closing delimiter included: in memory, or a stream when a part is one.
    public var body: OutboundHTTPBody {
        var parts = segments
        Self.appendBytes(Data("--\(boundary)--\r\n".utf8), to: &parts)
        if parts.count == 1, case .bytes(let data) = parts[0] { return .bytes(data) }
        return .stream(.concatenating(parts))
    }

    private mutating func appendPart(disposition: String, contentType: String?, data: Data) {
        appendHead(disposition: disposition, contentType: contentType)
        Self.appendBytes(data + Data("\r\n".utf8), to: &segments)
    }

    private mutating func appendHead(disposition: String, contentType: String?) {
        var head = "--\(boundary)\r\nContent-Disposition: \(disposition)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        Self.appendBytes(Data((head + "\r\n").utf8), to: &segments)
    }

    /// Appends `bytes` to the last segment when it is in memory, else as a segment of their own.
    private static func appendBytes(_ bytes: Data, to segments: inout [OutboundHTTPBody]) {
        if case .bytes(let last) = segments.last {
            segments[segments.count - 1] = .bytes(last + bytes)
        } else {
            segments.append(.bytes(bytes))
        }
    }

    /// Escapes a name for a quoted-string parameter, as browsers do (RFC 7578 §4.2).
    private static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }
}
