// SHA-256 lives in the Checksum module, shared with FaceModel; re-exported so the ledger, the
// publisher and the daemon reach it through Library.
@_exported import Checksum
