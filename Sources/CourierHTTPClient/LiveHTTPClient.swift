import CourierIntegrationKit
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The live ``HTTPClient``: URLSession (libcurl on Linux) behind an ``EgressGuard``.
///
/// - One session per client, so connections to the same host are reused across requests.
/// - Every request has a hard deadline, its `timeout`, covering name resolution, connection and the whole exchange.
/// - Redirects are never followed automatically. A GET or HEAD follows up to ``maximumRedirects`` of them, each hop
///   checked by the egress guard again; any other method gets the 3xx response back, because re-sending a body to
///   another location is the caller's decision (and URLSession on Linux drops the body on 307).
/// - Failures become ``HTTPClientError`` values whose messages name the host and port only, never the URL's user
///   info, path or query.
public final class LiveHTTPClient: HTTPClient {
    /// The most redirects a GET or HEAD follows before its last 3xx response is returned.
    public let maximumRedirects: Int
    private let session: URLSession
    private let egressGuard: EgressGuard

    /// A client that checks every destination with `egressGuard`.
    public init(egressGuard: EgressGuard = EgressGuard(), maximumRedirects: Int = 5) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        self.session = URLSession(configuration: configuration, delegate: RedirectRefusingDelegate(), delegateQueue: nil)
        self.egressGuard = egressGuard
        self.maximumRedirects = maximumRedirects
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    public func send(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse {
        let outcome = await withTaskGroup(of: Result<OutboundHTTPResponse, HTTPClientError>?.self) { group in
            group.addTask {
                do throws(HTTPClientError) {
                    return .success(try await self.exchange(request))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: request.timeout)
                return Task.isCancelled ? nil : .failure(.timedOut)
            }
            defer { group.cancelAll() }
            while let finished = await group.next() {
                if let finished { return finished }
            }
            return .failure(.transportFailed("the request was cancelled"))
        }
        return try outcome.get()
    }

    /// Sends `request`, following redirects where allowed; no deadline of its own.
    private func exchange(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse {
        var current = request
        var redirectsFollowed = 0
        while true {
            try await egressGuard.check(current.url)
            let response = try await transfer(current)
            guard redirectsFollowed < maximumRedirects, let next = Self.redirect(of: current, answeredBy: response) else {
                return response
            }
            current = next
            redirectsFollowed += 1
        }
    }

    /// One request and its response, through the session.
    private func transfer(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        // The deadline in `send(_:)` governs; URLSession's own (idle) timeout, a little later, is only a backstop.
        urlRequest.timeoutInterval = (request.timeout + .seconds(1)).timeInterval
        for field in request.headers { urlRequest.addValue(field.value, forHTTPHeaderField: field.name) }
        urlRequest.httpBody = request.body
        do {
            let (body, response) = try await session.data(for: urlRequest)
            guard let response = response as? HTTPURLResponse else {
                throw HTTPClientError.transportFailed("\(Self.destination(request.url)) did not answer with HTTP")
            }
            let headers = response.allHeaderFields.compactMap { name, value in
                (name as? String).map { HTTPHeaderField($0, "\(value)") }
            }
            return OutboundHTTPResponse(status: response.statusCode, headers: headers, body: body)
        } catch let error as HTTPClientError {
            throw error
        } catch let error as URLError {
            throw Self.clientError(for: error, url: request.url)
        } catch {
            throw .transportFailed("sending the request to \(Self.destination(request.url)) failed")
        }
    }

    /// The request a GET or HEAD makes next when `response` redirects it, or `nil` when it does not or may not.
    /// Credentials (`Authorization`, `Cookie`) are dropped when the redirect leaves the original origin.
    private static func redirect(of request: OutboundHTTPRequest, answeredBy response: OutboundHTTPResponse) -> OutboundHTTPRequest? {
        guard ["GET", "HEAD"].contains(request.method.uppercased()), [301, 302, 303, 307, 308].contains(response.status),
            let location = response.header("Location"), let target = URL(string: location, relativeTo: request.url)?.absoluteURL,
            ["http", "https"].contains(target.scheme?.lowercased() ?? "")
        else { return nil }
        var next = request
        next.url = target
        let sameOrigin = target.scheme == request.url.scheme && target.host == request.url.host && target.port == request.url.port
        if !sameOrigin {
            next.headers.removeAll { ["authorization", "cookie"].contains($0.name.lowercased()) }
        }
        return next
    }

    /// Maps a URLSession error to the client's vocabulary, naming only the destination's host and port.
    private static func clientError(for error: URLError, url: URL) -> HTTPClientError {
        let destination = destination(url)
        switch error.code {
        case .timedOut:
            return .timedOut
        case .cannotFindHost, .dnsLookupFailed:
            return .connectionFailed("could not resolve the host of \(destination)")
        case .cannotConnectToHost:
            return .connectionFailed("could not connect to \(destination): connection refused")
        case .notConnectedToInternet, .internationalRoamingOff, .dataNotAllowed:
            return .connectionFailed("could not connect to \(destination): network unreachable")
        case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted,
            .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected,
            .clientCertificateRequired:
            return .tlsFailed("TLS with \(destination) failed")
        case .networkConnectionLost:
            return .transportFailed("the connection to \(destination) was lost")
        case .cancelled:
            return .transportFailed("the request to \(destination) was cancelled")
        default:
            // On Linux, libcurl's TLS failures arrive as an unknown error (-1) whose text starts with "SSL".
            if error.localizedDescription.hasPrefix("SSL") {
                return .tlsFailed("TLS with \(destination) failed: \(error.localizedDescription)")
            }
            return .transportFailed("sending the request to \(destination) failed (URLError \(error.code.rawValue))")
        }
    }

    /// `host:port` of `url`, with the scheme's default port when none is written.
    private static func destination(_ url: URL) -> String {
        let host = url.host(percentEncoded: false) ?? "?"
        let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Refuses every automatic redirect, so that ``LiveHTTPClient`` sees each 3xx and decides itself.
private final class RedirectRefusingDelegate: NSObject, URLSessionTaskDelegate {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

extension Duration {
    /// The duration in seconds, as Foundation counts time.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
