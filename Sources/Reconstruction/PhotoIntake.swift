import Foundation
import FaceDetect
import Imaging

/// A photo whose subject's face was found, with its 68 detected landmarks (0-based pixels).
public struct LocatedPhoto: Sendable {
    public var name: String
    public var url: URL
    public var image: Image
    public var landmarks: [Point2]

    public init(name: String, url: URL, image: Image, landmarks: [Point2]) {
        self.name = name
        self.url = url
        self.image = image
        self.landmarks = landmarks
    }
}

/// A photo left out of a fit and why, with a stable code (`unreadable-image`, FaceRejection's codes
/// such as `no-face`, FitError's codes) and a readable reason.
public struct SkippedPhoto: Sendable, Codable, Equatable {
    public var name: String
    public var code: String
    public var reason: String
}

/// Photos in, located faces or typed skip reasons out. Nothing here modifies the photos.
public enum PhotoIntake {
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp", "heic", "heif"]

    /// The photos named by `paths`: files as given, folders expanded to their image files (by
    /// extension, sorted by name, not recursive).
    /// - Throws: `FitError.noPhotos` when a path does not exist or nothing is found.
    public static func photoURLs(_ paths: [String]) throws -> [URL] {
        var urls: [URL] = []
        let fm = FileManager.default
        for path in paths {
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isFolder) else { throw FitError.missingInput(path) }
            let url = URL(fileURLWithPath: path)
            if isFolder.boolValue {
                let names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
                urls += names.filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }
                    .sorted().map { url.appendingPathComponent($0) }
            } else {
                urls.append(url)
            }
        }
        guard !urls.isEmpty else { throw FitError.noPhotos }
        return urls
    }

    /// Decodes each photo and finds its subject's face and landmarks (two photos at a time);
    /// a photo that cannot be decoded or has no usable face becomes a `SkippedPhoto`.
    /// `progress(done, total)` is called as each photo is done (from the worker threads, one at a time).
    public static func locate(_ urls: [URL], frontEnd: FaceFrontEnd,
                              progress: (Int, Int) -> Void = { _, _ in }) -> (located: [LocatedPhoto], skipped: [SkippedPhoto]) {
        let lock = NSLock()
        var done = 0
        let results = (try? concurrentMap(urls) { url -> Result<LocatedPhoto, SkipError> in
            let result = locate(url, frontEnd: frontEnd)
            lock.withLock {
                done += 1
                progress(done, urls.count)
            }
            return result
        }) ?? []
        var located: [LocatedPhoto] = [], skipped: [SkippedPhoto] = []
        for result in results {
            switch result {
            case let .success(photo): located.append(photo)
            case let .failure(skip): skipped.append(skip.photo)
            }
        }
        return (located, skipped)
    }

    static func locate(_ url: URL, frontEnd: FaceFrontEnd) -> Result<LocatedPhoto, SkipError> {
        let name = url.deletingPathExtension().lastPathComponent
        let image: Image
        do { image = try ImageDecoder.decode(contentsOf: url) } catch {
            return .failure(SkipError(SkippedPhoto(name: name, code: "unreadable-image", reason: "\(error)")))
        }
        do {
            let face = try frontEnd.locate(in: image)
            _ = try FitTargets(face.landmarks)
            return .success(LocatedPhoto(name: name, url: url, image: image, landmarks: face.landmarks))
        } catch let rejection as FaceRejection {
            return .failure(SkipError(SkippedPhoto(name: name, code: rejection.code, reason: rejection.description)))
        } catch let error as FitError {
            return .failure(SkipError(SkippedPhoto(name: name, code: error.code, reason: error.description)))
        } catch {
            return .failure(SkipError(SkippedPhoto(name: name, code: "unusable-photo", reason: "\(error)")))
        }
    }

    struct SkipError: Error {
        var photo: SkippedPhoto
        init(_ photo: SkippedPhoto) { self.photo = photo }
    }
}
