#include "wheelhouse/s3/multipart.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace wheelhouse::s3 {

MultipartUpload::MultipartUpload(std::vector<PartRange> parts, int max_rounds)
    : m_parts(std::move(parts)), m_status(m_parts.size()), m_max_rounds(std::max(1, max_rounds)) {}

auto MultipartUpload::attempts(int part_number) const -> int {
    if (part_number < 1 || static_cast<std::size_t>(part_number) > m_status.size()) return 0;
    return m_status[static_cast<std::size_t>(part_number - 1)].attempts;
}

auto MultipartUpload::parts_done() const -> std::size_t {
    return static_cast<std::size_t>(
        std::count_if(m_status.begin(), m_status.end(), [](const Part& p) { return p.state == PartState::done; }));
}

void MultipartUpload::fail_with(Error error, State next) {
    if (!m_error) m_error = std::move(error);
    m_state = next;
}

void MultipartUpload::on_created(std::string upload_id) {
    if (m_state != State::creating) return;
    m_upload_id = std::move(upload_id);
    m_state = m_parts.empty() ? State::completing : State::uploading;
}

void MultipartUpload::on_create_failed(Error error) {
    if (m_state != State::creating) return;
    fail_with(std::move(error), State::failed);
}

auto MultipartUpload::next_parts(std::size_t limit) -> std::vector<PartRange> {
    std::vector<PartRange> out;
    if (m_state != State::uploading) return out;
    for (std::size_t i = 0; i < m_parts.size() && out.size() < limit; ++i) {
        if (m_status[i].state != PartState::pending) continue;
        m_status[i].state = PartState::in_flight;
        ++m_status[i].attempts;
        out.push_back(m_parts[i]);
    }
    return out;
}

void MultipartUpload::on_part_uploaded(int part_number, std::string etag, std::string checksum_crc64nvme) {
    if (part_number < 1 || static_cast<std::size_t>(part_number) > m_status.size()) return;
    auto& part = m_status[static_cast<std::size_t>(part_number - 1)];
    if (part.state != PartState::in_flight) return;
    part.state = PartState::done;
    part.etag = std::move(etag);
    part.checksum = std::move(checksum_crc64nvme);
    if (m_state == State::uploading && parts_done() == m_parts.size()) m_state = State::completing;
}

void MultipartUpload::on_part_failed(int part_number, Error error) {
    if (part_number < 1 || static_cast<std::size_t>(part_number) > m_status.size()) return;
    auto& part = m_status[static_cast<std::size_t>(part_number - 1)];
    if (part.state != PartState::in_flight) return;
    if (m_state != State::uploading) {
        part.state = PartState::pending;
        return;
    }
    if (part.attempts < m_max_rounds) {
        part.state = PartState::pending;  // retried alone: the other parts keep their ETags
        return;
    }
    part.state = PartState::pending;
    error.message = fmt::format("part {} failed after {} rounds: {}", part_number, part.attempts, error.message);
    fail_with(std::move(error), State::aborting);
}

void MultipartUpload::cancel(Error reason) {
    switch (m_state) {
        case State::creating: fail_with(std::move(reason), State::failed); break;
        case State::uploading:
        case State::completing: fail_with(std::move(reason), State::aborting); break;
        default: break;
    }
}

auto MultipartUpload::completion_body(bool with_checksums) const -> std::string {
    std::vector<CompletedPart> done;
    done.reserve(m_parts.size());
    for (std::size_t i = 0; i < m_parts.size(); ++i) {
        done.push_back({m_parts[i].number, m_status[i].etag, with_checksums ? m_status[i].checksum : std::string()});
    }
    return build_complete_multipart_upload(done);
}

void MultipartUpload::on_completed() {
    if (m_state == State::completing) m_state = State::completed;
}

void MultipartUpload::on_complete_failed(Error error) {
    if (m_state == State::completing) fail_with(std::move(error), State::aborting);
}

void MultipartUpload::on_aborted() {
    if (m_state == State::aborting) m_state = State::aborted;
}

void MultipartUpload::on_abort_failed(Error error) {
    if (m_state != State::aborting) return;
    if (m_error) {
        m_error->message += fmt::format("; aborting upload {} also failed: {}", m_upload_id, error.message);
        m_error->hint = fmt::format(
            "remove the orphaned upload with: aws s3api abort-multipart-upload --upload-id {} ...", m_upload_id);
    } else {
        m_error = std::move(error);
    }
    m_state = State::failed;
}

auto to_string(MultipartUpload::State state) -> const char* {
    switch (state) {
        case MultipartUpload::State::creating: return "creating";
        case MultipartUpload::State::uploading: return "uploading";
        case MultipartUpload::State::completing: return "completing";
        case MultipartUpload::State::aborting: return "aborting";
        case MultipartUpload::State::completed: return "completed";
        case MultipartUpload::State::aborted: return "aborted";
        case MultipartUpload::State::failed: return "failed";
    }
    return "unknown";
}

}  // namespace wheelhouse::s3
