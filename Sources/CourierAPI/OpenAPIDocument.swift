import Foundation

/// The checked-in OpenAPI 3.1 document describing every route, served at `/v1/openapi.json`.
public enum OpenAPIDocument {
    /// The document's bytes, loaded once from the module's resources.
    public static let data: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url)
        else { fatalError("The OpenAPI document is missing from CourierAPI's resources.") }
        return data
    }()
}
