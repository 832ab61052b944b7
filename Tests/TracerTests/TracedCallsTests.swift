import Testing
@testable import Analysis
import KernelEvents
import TraceModel
