import Foundation
import TestSupport
import Testing

/// When live tests can run: as root (they create network namespaces and
/// capture). Under CI=true they always run, so that a missing privilege fails.
enum LiveSupport {
    static let isCI = LiveProcess.isCI
    static let isRoot = LiveProcess.isRoot
    static let enabled = LiveProcess.enabled
    static let reason: Comment = "live tests need root (network namespaces, capture); they always run under CI=true"
    static let root = LiveProcess.root
    static var binary: String { LiveProcess.binary }
    typealias Output = LiveProcess.Output

    static func run(_ executable: String, _ arguments: [String]) throws -> Output { try LiveProcess.run(executable, arguments) }
    static func shell(_ command: String) -> String { LiveProcess.shell(command) }
}
