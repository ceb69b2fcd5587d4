#include "wheelhouse/s3/sync.hpp"

#include <algorithm>
#include <map>

#include "wheelhouse/s3/messages.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::s3 {

auto to_string(SyncReason reason) -> const char* {
    switch (reason) {
        case SyncReason::new_file: return "new";
        case SyncReason::size_differs: return "size differs";
        case SyncReason::content_differs: return "content differs";
        case SyncReason::checksum_differs: return "S3's checksum of the object differs";
        case SyncReason::checksum_unknown: return "S3's checksum of the object is of a kind not compared";
        case SyncReason::no_remote_hash: return "remote object has no sha256 metadata";
        case SyncReason::unchanged: return "unchanged";
        case SyncReason::not_local: return "no longer present locally";
    }
    return "unknown";
}

namespace {

// What S3's own checksums say, or nullopt when they leave the decision to the metadata: no checksum kept, or every
// comparable one equal.
auto compare_checksums(const LocalFile& local, const RemoteObject& remote) -> std::optional<SyncReason> {
    if (remote.checksums.empty()) return std::nullopt;
    bool compared = false;
    if (auto it = remote.checksums.find("crc64nvme"); it != remote.checksums.end() && !local.crc64nvme.empty()) {
        if (it->second != local.crc64nvme) return SyncReason::checksum_differs;
        compared = true;
    }
    // A SHA-256 of the whole object (a single PutObject that sent one); a composite one names its part count.
    if (auto it = remote.checksums.find("sha256");
        it != remote.checksums.end() && it->second.find('-') == std::string::npos) {
        if (it->second != base64_encode(hex_to_bytes(util::to_lower(local.sha256)).value_or(""))) {
            return SyncReason::checksum_differs;
        }
        compared = true;
    }
    if (!compared) return SyncReason::checksum_unknown;
    return std::nullopt;
}

auto by_key(const std::vector<RemoteObject>& remote) -> std::map<std::string, const RemoteObject*> {
    std::map<std::string, const RemoteObject*> out;
    for (const auto& r : remote) out.emplace(r.key, &r);
    return out;
}
}  // namespace

auto keys_to_inspect(const std::vector<LocalFile>& local, const std::vector<RemoteObject>& remote)
    -> std::vector<std::string> {
    const auto index = by_key(remote);
    std::vector<std::string> keys;
    for (const auto& f : local) {
        auto it = index.find(f.key);
        if (it != index.end() && it->second->size == f.size) keys.push_back(f.key);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

auto plan_sync(std::vector<LocalFile> local, std::vector<RemoteObject> remote, const SyncOptions& options) -> SyncPlan {
    std::stable_sort(local.begin(), local.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    local.erase(std::unique(local.begin(), local.end(), [](const auto& a, const auto& b) { return a.key == b.key; }),
                local.end());
    std::stable_sort(remote.begin(), remote.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    const auto index = by_key(remote);

    SyncPlan plan;
    for (auto& f : local) {
        auto it = index.find(f.key);
        SyncReason reason = SyncReason::new_file;
        if (it != index.end()) {
            const RemoteObject& r = *it->second;
            if (r.size != f.size) {
                reason = SyncReason::size_differs;
            } else if (auto by_checksum = compare_checksums(f, r)) {
                reason = *by_checksum;
            } else if (!r.sha256 || r.sha256->empty()) {
                reason = SyncReason::no_remote_hash;
            } else if (util::to_lower(util::trim(*r.sha256)) != util::to_lower(f.sha256)) {
                reason = SyncReason::content_differs;
            } else {
                reason = SyncReason::unchanged;
            }
        }
        if (reason == SyncReason::unchanged) {
            plan.skip.push_back({f.key, reason});
        } else {
            plan.upload.push_back({f.key, reason});
            plan.upload_files.push_back(std::move(f));
        }
    }
    if (options.delete_extra) {
        std::map<std::string, bool> local_keys;
        for (const auto& f : plan.upload_files) local_keys[f.key] = true;
        for (const auto& s : plan.skip) local_keys[s.key] = true;
        for (const auto& [key, object] : index) {
            if (!local_keys.contains(key)) plan.remove.push_back({key, SyncReason::not_local});
        }
    }
    return plan;
}

}  // namespace wheelhouse::s3
