import CourierBenchmark
import Foundation

// Measures a release `courier serve` beside the machine's limits; see README, "Benchmarks".
exit(await BenchmarkCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
