#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The JOSE header of a token: only what the verifier decides on.
struct TokenHeader: Decodable {
    /// The one algorithm ragd accepts. Taken from the server, never from the token: the
    /// header only has to agree with it (RFC 8725 section 3.1).
    static let algorithm = "HS256"
    /// `typ` values accepted (compared case-insensitively); absent is accepted too.
    static let acceptedTypes: Set<String> = ["jwt", "at+jwt", "application/at+jwt"]

    let algorithm: String
    let type: String?
    let hasCritical: Bool
    let distinctKeys: Int

    private enum Keys: String, CodingKey { case alg, typ, crit }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        guard let alg = try? container.decode(String.self, forKey: .alg) else {
            throw AuthError.malformed("The token header has no alg.")
        }
        algorithm = alg
        if container.contains(.typ) {
            guard let typ = try? container.decode(String.self, forKey: .typ) else {
                throw AuthError.malformed("The token header's typ is not a string.")
            }
            type = typ
        } else {
            type = nil
        }
        hasCritical = container.contains(.crit)
        distinctKeys = try JSONMemberCount.distinctKeys(in: decoder)
    }

    /// Decodes and checks the header: HS256, no `crit`, an accepted `typ`.
    static func parse(_ json: [UInt8]) throws(AuthError) -> TokenHeader {
        let header: TokenHeader
        do {
            header = try JSONDecoder().decode(TokenHeader.self, from: Data(json))
        } catch let error as AuthError {
            throw error
        } catch {
            throw AuthError.malformed("The token header is not a JSON object.")
        }
        guard header.distinctKeys == JSONMemberCount.topLevelMembers(json) else {
            throw AuthError.malformed("The token header repeats a member name.")
        }
        guard header.algorithm == algorithm else {
            throw AuthError(.unsupportedAlgorithm, "Only HS256 tokens are accepted.")
        }
        // We implement no header extensions, so any `crit` must be refused (RFC 7515 4.1.11).
        guard !header.hasCritical else {
            throw AuthError(.unsupportedAlgorithm, "The token header lists critical extensions this server does not support.")
        }
        if let type = header.type, !acceptedTypes.contains(type.lowercased()) {
            throw AuthError.malformed("The token type is not JWT.")
        }
        return header
    }
}
