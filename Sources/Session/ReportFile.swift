import Capture

/// A rendered report written to its file (`-o`): atomically, or in place for a device or FIFO.
public enum ReportFile {
    public static func write(_ text: String, to path: String) throws(CaptureError) {
        var text = text
        let failure: CaptureError? = text.withUTF8 { bytes in
            do throws(CaptureError) { try OutputFile.write(UnsafeRawBufferPointer(bytes), to: path) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }
}
