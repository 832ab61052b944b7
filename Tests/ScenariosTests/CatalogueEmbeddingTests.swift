import Foundation
@testable import Scenarios
import TestSupport
import Testing

/// The catalogue is embedded in the executable (no resource bundle): the
/// embedded copy must be exactly the YAML files in Sources/Scenarios/Catalogue.
@Suite("embedded catalogue")
struct CatalogueEmbeddingTests {
    @Test("the embedded catalogue matches Sources/Scenarios/Catalogue (else run tools/embed-catalogue)")
    func matchesSources() throws {
        let directory = LiveSupport.root.appendingPathComponent("Sources/Scenarios/Catalogue")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        var onDisk: [String: String] = [:]
        for name in names {
            onDisk[String(name.dropLast(5))] = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        var embedded: [String: String] = [:]
        for file in Catalogue.files { embedded[file.name] = file.text }
        let stale = Set(onDisk.keys).union(embedded.keys).filter { onDisk[$0] != embedded[$0] }.sorted()
        #expect(stale.isEmpty, "Sources/Scenarios/CatalogueFiles.swift is stale for \(stale.joined(separator: ", ")): run tools/embed-catalogue")
    }

    @Test("every name in Catalogue.order has a file")
    func orderHasFiles() {
        let missing = Catalogue.order.filter { name in !Catalogue.files.contains { $0.name == name } }
        #expect(missing.isEmpty, "Catalogue.order names \(missing) but Sources/Scenarios/Catalogue has no such file (or run tools/embed-catalogue)")
    }
}
