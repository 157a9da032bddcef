import CourierCLI
import Foundation

exit(await CourierCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
