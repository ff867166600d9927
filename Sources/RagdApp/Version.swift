/// The release of this build, shown by `ragd --version` and in the master's start-up log.
public enum RagdVersion {
    public static let current = "0.1.0"
}
