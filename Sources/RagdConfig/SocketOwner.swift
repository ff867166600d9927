/// Who should own the FastCGI unix socket (`FCGI_SOCKET_OWNER`, `user[:group]`, also
/// `:group`). Names or numeric ids are kept as written; resolving them is the binder's job.
public struct SocketOwner: Sendable, Equatable, CustomStringConvertible {
    /// User name or numeric uid; nil for `:group`.
    public var user: String?
    /// Group name or numeric gid; nil when no `:group` was given.
    public var group: String?

    /// Creates an owner; at least one of the two should be set.
    public init(user: String?, group: String?) {
        self.user = user
        self.group = group
    }

    /// Parses `user`, `user:group` or `:group`; nil when malformed.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let user = parts[0]
        let group = parts.count == 2 ? parts[1] : nil
        if user.isEmpty, group == nil || group!.isEmpty { return nil }
        if !user.isEmpty, !Self.isValidName(user) { return nil }
        if let group, !Self.isValidName(group) { return nil }
        self.user = user.isEmpty ? nil : user
        self.group = group
    }

    /// POSIX portable user/group names (plus a trailing `$` as useradd allows) or numeric ids.
    private static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != "-" else { return false }
        let scalars = Array(name.unicodeScalars)
        for (index, c) in scalars.enumerated() {
            let ok = ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
                || c == "_" || c == "." || c == "-" || (c == "$" && index == scalars.count - 1)
            if !ok { return false }
        }
        return name.count <= 32
    }

    /// `user:group`, `user` or `:group`.
    public var description: String {
        (user ?? "") + (group.map { ":" + $0 } ?? "")
    }
}
