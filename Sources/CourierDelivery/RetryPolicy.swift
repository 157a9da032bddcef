import Foundation

/// When to try a failed delivery again: exponential backoff with jitter, capped, within a budget of attempts.
public struct RetryPolicy: Sendable, Hashable {
    /// The delay after the first failed attempt.
    public var initialDelay: Duration
    /// How much each further delay grows.
    public var multiplier: Double
    /// The longest delay between two attempts.
    public var maximumDelay: Duration
    /// Each delay varies randomly by up to this fraction either way, so failed deliveries don't retry in lockstep.
    public var jitter: Double
    /// Attempts before a delivery is marked failed.
    public var maximumAttempts: Int

    /// The default schedule: 2 s, 4 s, 8 s … capped at 15 minutes, ±20 %, 12 attempts (about 1.5 hours in all).
    public init(
        initialDelay: Duration = .seconds(2),
        multiplier: Double = 2,
        maximumDelay: Duration = .seconds(900),
        jitter: Double = 0.2,
        maximumAttempts: Int = 12
    ) {
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
        self.jitter = jitter
        self.maximumAttempts = maximumAttempts
    }

    /// The delay before attempt `attempts + 1`, after `attempts` attempts; `nil` when the budget is spent.
    ///
    /// - Parameters:
    ///   - retryAfter: a delay the receiver asked for (`Retry-After`); it is honoured when longer than the backoff,
    ///     up to ``maximumDelay``.
    ///   - random: a number in `0...1` choosing the jitter (injected so tests are exact).
    public func delay(afterAttempts attempts: Int, retryAfter: Duration? = nil, random: Double) -> Duration? {
        guard attempts < maximumAttempts else { return nil }
        let exponent = Double(max(0, attempts - 1))
        let base = min(seconds(initialDelay) * pow(multiplier, exponent), seconds(maximumDelay))
        let jittered = base * (1 + jitter * (2 * random - 1))
        let chosen = max(jittered, min(retryAfter.map(seconds) ?? 0, seconds(maximumDelay)))
        return .milliseconds(Int64((chosen * 1000).rounded()))
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
