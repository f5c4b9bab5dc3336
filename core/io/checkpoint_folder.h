// A run's checkpoints on disk, each saved whole or not at all.
//
//   DIR/checkpoints/step-00000100/     one checkpoint: the files of one step (model and
//       model.safetensors              optimizer), written into step-00000100.tmp/ and
//       optimizer.safetensors          renamed to its final name once all are on the disk
//   DIR/model.safetensors              the newest checkpoint's model, linked here for the
//                                      `generate` command and for PyTorch
//
// A step folder without ".tmp" is complete by construction: its files were flushed to
// the disk (fsync) before the folder was renamed, and the folder's rename is one atomic
// step. The previous checkpoint is removed only after the new one is complete, so a kill
// or a full disk at any moment leaves the last complete checkpoint in place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llm {

// DIR/checkpoints/step-NNNNNNNN for `step`.
std::string checkpoint_path(const std::string& run_dir, int64_t step);

// The complete checkpoints of a run, newest first (empty when there is none yet).
std::vector<std::string> complete_checkpoints(const std::string& run_dir);

// Start a checkpoint of `step`: returns an empty folder (its ".tmp" name) to write into.
std::string begin_checkpoint(const std::string& run_dir, int64_t step);

// Finish it: flush the folder, rename it to its final name, then settle on it (below).
void commit_checkpoint(const std::string& run_dir, int64_t step);

// Make `checkpoint` the run's one checkpoint: link its model.safetensors as
// DIR/model.safetensors, remove the other checkpoints and what unfinished saves left.
// A resumed run calls it too, which completes a commit that a kill cut short.
void settle_on_checkpoint(const std::string& run_dir, const std::string& checkpoint);

// What an interrupted save leaves behind (*.tmp files and folders in DIR and
// DIR/checkpoints): removed when a run starts or resumes.
void remove_unfinished_checkpoints(const std::string& run_dir);

}  // namespace llm
