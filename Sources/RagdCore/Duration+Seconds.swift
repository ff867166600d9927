extension Duration {
    /// The duration as (fractional) seconds, for C APIs and timers that take a Double.
    public var inSeconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
