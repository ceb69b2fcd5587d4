// The multipart upload as a small state machine, apart from transport: which parts to send next, which
// failed part to retry alone, and when to complete or abort. The client feeds it results.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "wheelhouse/s3/messages.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::s3 {

class MultipartUpload {
public:
    enum class State {
        creating,    // waiting for CreateMultipartUpload
        uploading,   // parts in flight or pending
        completing,  // every part has an ETag: send Complete
        aborting,    // something failed for good: send Abort (never leave an orphaned upload)
        completed,
        aborted,
        failed,  // Create failed (nothing to abort), or Abort itself failed
    };

    // max_rounds: how many times one part may be sent (each round is itself retried by the HTTP engine).
    MultipartUpload(std::vector<PartRange> parts, int max_rounds);

    [[nodiscard]] auto state() const -> State { return m_state; }
    [[nodiscard]] auto upload_id() const -> const std::string& { return m_upload_id; }
    [[nodiscard]] auto parts() const -> const std::vector<PartRange>& { return m_parts; }
    // The first error that decided the outcome (set in aborting, aborted and failed).
    [[nodiscard]] auto error() const -> const std::optional<Error>& { return m_error; }
    [[nodiscard]] auto attempts(int part_number) const -> int;
    [[nodiscard]] auto parts_done() const -> std::size_t;

    void on_created(std::string upload_id);
    void on_create_failed(Error error);

    // Up to `limit` parts to send now (they become in flight), lowest numbers first.
    auto next_parts(std::size_t limit) -> std::vector<PartRange>;
    // checksum_crc64nvme: the part's checksum as sent (base64), for a Complete that lists it; may be empty.
    void on_part_uploaded(int part_number, std::string etag, std::string checksum_crc64nvme = {});
    // Re-queues the part while it has rounds left; otherwise the whole upload moves to aborting.
    void on_part_failed(int part_number, Error error);
    // An interrupt or an outside failure: stop sending parts and abort.
    void cancel(Error reason);

    // The Complete body (state completing); with_checksums lists each part's CRC64NVME (only for a server that
    // knows flexible checksums: it echoed x-amz-checksum-algorithm when the upload was created).
    [[nodiscard]] auto completion_body(bool with_checksums = false) const -> std::string;
    void on_completed();
    void on_complete_failed(Error error);
    void on_aborted();
    void on_abort_failed(Error error);

private:
    enum class PartState { pending, in_flight, done };
    struct Part {
        PartState state = PartState::pending;
        int attempts = 0;
        std::string etag;
        std::string checksum;
    };
    void fail_with(Error error, State next);

    State m_state = State::creating;
    std::vector<PartRange> m_parts;
    std::vector<Part> m_status;
    int m_max_rounds = 1;
    std::string m_upload_id;
    std::optional<Error> m_error;
};

auto to_string(MultipartUpload::State state) -> const char*;

}  // namespace wheelhouse::s3
