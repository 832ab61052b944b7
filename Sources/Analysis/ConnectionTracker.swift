import PacketWire
import TraceModel

/// Follows every TCP connection of a capture in one pass.
///
/// Memory grows with the connections open at once, not with the capture's
/// length: a connection that has finished (a RST, or a FIN each way, both
/// acknowledged) is emitted once it has been quiet for `linger` of capture
/// time, and only a small tombstone of it stays, for as long as its 4-tuple
/// could be in TIME-WAIT, to recognise port reuse.
public struct ConnectionTracker {
    public struct Options: Sendable {
        /// Keep every annotated segment in the connections emitted (for timelines).
        public var keepSegments: Bool
        /// With `keepSegments`, keep them only in the connections whose id is
        /// at most this (the first ones seen): a report that draws the first
        /// N connections need not hold every segment of a long capture.
        public var keepSegmentsUpToID: Int
        /// How long a finished connection waits for late segments before it is emitted.
        public var linger: Int64
        /// How long a tombstone is kept (Linux TCP_TIMEWAIT_LEN is 60 s).
        public var timeWait: Int64

        public init(keepSegments: Bool = false, keepSegmentsUpToID: Int = .max, linger: Int64 = 1_000_000_000,
                    timeWait: Int64 = 60_000_000_000) {
            self.keepSegments = keepSegments
            self.keepSegmentsUpToID = keepSegmentsUpToID
            self.linger = linger
            self.timeWait = timeWait
        }
    }

    public let options: Options
    private var open = FlowTable<ConnectionRecord>()
    /// Finished connections in the order they finished, with the time they did.
    /// Holds the records themselves, so that waiting for the linger costs no lookup per segment.
    /// Entries before `finishedHead` are nil: an emitted record is freed at once.
    private var finished: [ConnectionRecord?] = []
    private var finishedHead = 0
    private var tombstones: Tombstones
    private var nextID = 1
    private var now = Timestamp(nanoseconds: 0)

    public init(options: Options = Options()) {
        self.options = options
        tombstones = Tombstones(timeWait: options.timeWait)
    }

    /// Connections currently held (open, or finished and lingering).
    public var openCount: Int { open.count }

    /// Follows one segment. Returns its annotation and the connections that
    /// became ready to emit.
    public mutating func observe(_ s: TCPSegment) -> (segment: AnnotatedSegment, emitted: [Connection]) {
        let record = find(s)
        let wasFinished = record.finished
        var annotated = record.observe(s)
        if reused {
            annotated.findings.insert(.reusedPorts)
            record.noteReusedPorts()
        }
        return (annotated, settle(record, wasFinished: wasFinished))
    }

    /// Follows one segment without annotating it (`observe` without the
    /// copy); returns the connections that became ready to emit. Segments
    /// are still kept with `keepSegments`.
    public mutating func follow(_ s: TCPSegment) -> [Connection] {
        let record = find(s)
        let wasFinished = record.finished
        if record.keepSegments {
            _ = record.observe(s)
        } else {
            _ = record.follow(s)
        }
        if reused { record.noteReusedPorts() }
        return settle(record, wasFinished: wasFinished)
    }

    /// Whether the segment `find` was last called for reuses a 4-tuple.
    private var reused = false

    /// The record `s` belongs to, made when it opens a new connection.
    private mutating func find(_ s: TCPSegment) -> ConnectionRecord {
        now = max(now, s.time)
        let key = FlowKey(.tcp, s.flow)
        reused = false
        var record: ConnectionRecord
        if let existing = open[key], !(s.isBareSYN && !existing.accepts(bareSYN: s)) {
            record = existing
        } else {
            if let old = open.removeValue(forKey: key) {
                // A new SYN with a new ISN on a 4-tuple still held: port reuse.
                reused = true
                pendingEmit.append(old.connection())
                bury(old)
            } else if s.isBareSYN, case .some(let isn) = tombstones.originatorISN(key), isn != s.sequence {
                reused = true
            }
            record = ConnectionRecord(id: nextID, key: key, first: s,
                                      keepSegments: options.keepSegments && nextID <= options.keepSegmentsUpToID)
            nextID += 1
            open.insert(new: record)
        }
        return record
    }

    /// After a segment: queues `record` if it just finished; returns what is ready to emit.
    /// Runs once per segment: the common case (nothing to emit) builds no array.
    private mutating func settle(_ record: ConnectionRecord, wasFinished: Bool) -> [Connection] {
        if !wasFinished && record.finished { finished.append(record) }
        var emitted: [Connection] = []
        if !pendingEmit.isEmpty { swap(&emitted, &pendingEmit) }
        if finishedHead < finished.count { drainFinished(into: &emitted) }
        expireTombstones()
        return emitted
    }

    private var pendingEmit: [Connection] = []

    /// Emits every connection still held, in order of id. Call at the end of the capture.
    public mutating func finish() -> [Connection] {
        var all = pendingEmit
        pendingEmit.removeAll()
        all += open.allValues.map { $0.connection() }
        open.removeAll()
        finished.removeAll()
        finishedHead = 0
        return all.sorted { $0.id < $1.id }
    }

    private mutating func drainFinished(into out: inout [Connection]) {
        while finishedHead < finished.count {
            let r = finished[finishedHead]!
            if r.buried {
                finished[finishedHead] = nil
                finishedHead += 1  // already emitted (port reuse)
                continue
            }
            guard now.nanoseconds - r.end.nanoseconds >= options.linger else { break }
            finished[finishedHead] = nil
            finishedHead += 1
            if !r.finished { continue }  // reopened by late segments? keep following it
            open[r.key] = nil
            out.append(r.connection())
            bury(r)
        }
        if finishedHead > 1024 && finishedHead * 2 > finished.count {
            finished.removeFirst(finishedHead)
            finishedHead = 0
        }
    }

    private mutating func bury(_ r: ConnectionRecord) {
        r.buried = true
        tombstones.bury(r.key, originatorISN: r.originatorISN, end: r.end)
    }

    private mutating func expireTombstones() {
        tombstones.expire(now: now.nanoseconds)
    }
}

extension ConnectionRecord {
    /// Port reuse, found by the tracker, on the segment just followed.
    func noteReusedPorts() {
        var one = Findings()
        one.insert(.reusedPorts)
        count(one)
        if keepSegments, !segments.isEmpty { segments[segments.count - 1].findings.insert(.reusedPorts) }
    }
}
