/// How the delivery workers run.
public struct DeliveryConfiguration: Sendable {
    /// Deliveries attempted at once by this process.
    public var concurrency: Int
    /// How long one attempt may take before it is cancelled and counted as retryable.
    public var attemptTimeout: Duration
    /// Extra time a lease lasts beyond the attempt timeout, so a slow recording does not lose it.
    public var leaseMargin: Duration
    /// The longest the workers sleep when nothing is due, in case another process scheduled work.
    public var idlePollInterval: Duration
    /// When and how often failed attempts are retried.
    public var retryPolicy: RetryPolicy

    /// The defaults: 64 at once, 30 s per attempt, 15 s lease margin, 1 s idle poll, the default retry policy.
    public init(
        concurrency: Int = 64,
        attemptTimeout: Duration = .seconds(30),
        leaseMargin: Duration = .seconds(15),
        idlePollInterval: Duration = .seconds(1),
        retryPolicy: RetryPolicy = RetryPolicy()
    ) {
        self.concurrency = concurrency
        self.attemptTimeout = attemptTimeout
        self.leaseMargin = leaseMargin
        self.idlePollInterval = idlePollInterval
        self.retryPolicy = retryPolicy
    }
}
