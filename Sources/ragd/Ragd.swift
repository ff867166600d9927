import ArgumentParser
import RagdApp

/// `ragd`: the command line. The binary stays thin; each subcommand wires modules together.
@main
struct Ragd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ragd",
        abstract: "A RAG API server: a preforked FastCGI worker pool behind nginx.",
        version: "ragd \(RagdVersion.current)",
        subcommands: [Serve.self, CheckConfig.self, Probe.self, Migrate.self, Reindex.self, Token.self, Ingest.self],
        defaultSubcommand: nil)
}
