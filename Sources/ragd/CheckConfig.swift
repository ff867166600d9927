import ArgumentParser
import Logging
import RagdApp
import RagdConfig

/// `ragd check-config`: the effective configuration, secrets masked; non-zero on errors.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Print the effective configuration (secrets masked) and exit non-zero if it is invalid.")

    func run() throws {
        let settings = try loadSettingsOrExit()
        for line in settings.describe() { print(line.description) }
        do {
            try RagdApplication.validateForWorkers(settings: settings)
        } catch {
            printError(String(describing: error))
            throw ExitCode(1)
        }
        print("configuration OK")
    }
}

/// The settings, or one line per problem on stderr and exit status 1 (the tools; `serve`
/// logs its problems as JSON instead).
func loadSettingsOrExit() throws -> Settings {
    do {
        return try Settings.loadFromProcess()
    } catch {
        for problem in error.problems { printError(problem.description) }
        printError("configuration invalid: \(error.problems.count) problem(s)")
        throw ExitCode(1)
    }
}

func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var copy = string
        copy.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, Glibc.stderr) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
