import Scenarios

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScenarioFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    do {
        let scenario = try ScenarioFile.parse(text, source: "fuzz.yaml")
        withExtendedLifetime(scenario) {}
    } catch {
        _ = error.description
    }
    return 0
}
