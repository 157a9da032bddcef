import Foundation

/// The `courier` command line.
public enum CourierCommand {
    /// Runs the command line and returns the process exit status.
    public static func main(arguments: [String]) async -> Int32 { 0 }
}
