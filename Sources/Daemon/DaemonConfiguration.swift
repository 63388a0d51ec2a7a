import Foundation

/// Everything the watcher can be told, by flags or by a JSON config file (same key names).
/// Times are in seconds.
public struct DaemonConfiguration: Codable, Equatable, Sendable {
    /// The folder of person folders to watch (photos there are only ever read).
    public var inbox: String = "./Inbox"
    /// Where versions are published; nothing is written outside it.
    public var library: String = "./Library"
    /// A file is ready once its folder has been quiet this long and it looked the same twice.
    public var settleSeconds: Double = 2
    /// A stable file is taken even if its folder never goes quiet, after this long.
    public var forceAfterSeconds: Double = 60
    /// Jobs running at the same time.
    public var maxConcurrentJobs: Int = 1
    /// Attempts per job before it stops with its error recorded.
    public var maxAttempts: Int = 3
    /// Retry n waits retryBaseSeconds · 2^(n-1), at most retryMaxSeconds.
    public var retryBaseSeconds: Double = 30
    public var retryMaxSeconds: Double = 3600
    /// Address-space limit of a job process (RLIMIT_AS), in MiB; 0 for none.
    public var jobMemoryLimitMB: Int = 8192
    /// Every person folder is rescanned at least this often, events or not.
    public var rescanIntervalSeconds: Double = 300
    /// On SIGTERM/SIGINT a running job gets this long to finish before it is abandoned cleanly.
    public var shutdownGraceSeconds: Double = 20
    /// The identity gate: a photo whose face embedding is this far or farther from the person's
    /// reference face is rejected as `different-person` (dlib's face-recognition distance; 0.6 is
    /// the model's own threshold). Passed to each job; the daemon itself runs no neural code.
    public var identityThreshold: Double = 0.6
    /// Inbox files larger than this (MiB) are refused from their size alone, never hashed or read.
    public var maxPhotoMB: Int = 200

    public init() {}

    /// Reads a JSON config file; keys left out keep their defaults, a key that is not one of
    /// them (a typo such as `settleSecondz`) is an error naming the key it resembles.
    public static func load(from url: URL) throws -> DaemonConfiguration {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ConfigurationError(message: "cannot read the config file \(url.path)")
        }
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let known = DaemonConfiguration.keys
            for key in object.keys.sorted() where !known.contains(key) {
                let near = known.map { ($0, ConfigurationError.editDistance($0.lowercased(), key.lowercased())) }
                    .filter { $0.1 <= max(2, key.count / 3) }.min { $0.1 < $1.1 }?.0
                throw ConfigurationError(key: key, message: "is not a setting (in the config file \(url.path))"
                                            + (near.map { "; did you mean \"\($0)\"?" } ?? "; the settings are " + known.sorted().joined(separator: ", ")))
            }
        }
        do {
            return try JSONDecoder().decode(DaemonConfiguration.self, from: data)
        } catch {
            throw ConfigurationError(message: "the config file \(url.path) is not valid: \(error)")
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = DaemonConfiguration()
        inbox = try container.decodeIfPresent(String.self, forKey: .inbox) ?? defaults.inbox
        library = try container.decodeIfPresent(String.self, forKey: .library) ?? defaults.library
        settleSeconds = try container.decodeIfPresent(Double.self, forKey: .settleSeconds) ?? defaults.settleSeconds
        forceAfterSeconds = try container.decodeIfPresent(Double.self, forKey: .forceAfterSeconds) ?? defaults.forceAfterSeconds
        maxConcurrentJobs = try container.decodeIfPresent(Int.self, forKey: .maxConcurrentJobs) ?? defaults.maxConcurrentJobs
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? defaults.maxAttempts
        retryBaseSeconds = try container.decodeIfPresent(Double.self, forKey: .retryBaseSeconds) ?? defaults.retryBaseSeconds
        retryMaxSeconds = try container.decodeIfPresent(Double.self, forKey: .retryMaxSeconds) ?? defaults.retryMaxSeconds
        jobMemoryLimitMB = try container.decodeIfPresent(Int.self, forKey: .jobMemoryLimitMB) ?? defaults.jobMemoryLimitMB
        rescanIntervalSeconds = try container.decodeIfPresent(Double.self, forKey: .rescanIntervalSeconds) ?? defaults.rescanIntervalSeconds
        shutdownGraceSeconds = try container.decodeIfPresent(Double.self, forKey: .shutdownGraceSeconds) ?? defaults.shutdownGraceSeconds
        identityThreshold = try container.decodeIfPresent(Double.self, forKey: .identityThreshold) ?? defaults.identityThreshold
        maxPhotoMB = try container.decodeIfPresent(Int.self, forKey: .maxPhotoMB) ?? defaults.maxPhotoMB
    }

    /// The setting names (the JSON keys of a config file).
    public static let keys: Set<String> = {
        let data = (try? JSONEncoder().encode(DaemonConfiguration())) ?? Data()
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        return Set(object.map { Array($0.keys) } ?? [])
    }()

    /// Checks the values make sense; throws a readable error naming the setting otherwise.
    public func validated() throws -> DaemonConfiguration {
        func require(_ condition: Bool, _ key: CodingKeys, _ message: String) throws {
            if !condition { throw ConfigurationError(key: key.stringValue, message: message) }
        }
        try require(settleSeconds > 0 && settleSeconds.isFinite, .settleSeconds, "must be positive")
        try require(forceAfterSeconds >= settleSeconds, .forceAfterSeconds, "must be at least settleSeconds (\(settleSeconds))")
        try require(maxConcurrentJobs >= 1, .maxConcurrentJobs, "must be at least 1")
        try require(maxAttempts >= 1, .maxAttempts, "must be at least 1")
        try require(retryBaseSeconds >= 0, .retryBaseSeconds, "must be non-negative")
        try require(retryMaxSeconds >= retryBaseSeconds, .retryMaxSeconds, "must be at least retryBaseSeconds (\(retryBaseSeconds))")
        try require(jobMemoryLimitMB >= 0, .jobMemoryLimitMB, "must be non-negative")
        try require(rescanIntervalSeconds > 0, .rescanIntervalSeconds, "must be positive")
        try require(shutdownGraceSeconds >= 0, .shutdownGraceSeconds, "must be non-negative")
        try require(identityThreshold > 0 && identityThreshold.isFinite, .identityThreshold, "must be positive")
        try require(maxPhotoMB >= 1, .maxPhotoMB, "must be at least 1")
        return self
    }

    public var retryBackoff: RetryBackoff { RetryBackoff(base: retryBaseSeconds, max: retryMaxSeconds) }

    /// The wait before retry `attempt` (1-based): base · 2^(attempt-1), capped.
    public func retryDelay(afterAttempt attempt: Int) -> TimeInterval {
        retryBackoff.delay(beforeTry: attempt)
    }
}

/// A configuration that cannot be used. `key` names the setting at fault (so the command line
/// can name its flag instead); the description reads "<key> <message>".
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let key: String?
    public let message: String
    public init(key: String? = nil, message: String) {
        self.key = key
        self.message = message
    }
    public var description: String { key.map { "\($0) \(message)" } ?? message }

    /// Levenshtein distance, for "did you mean" suggestions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
