// Which CPUs the calling thread runs on, for the bench's per-CPU figures (not part of the
// library). On a virtual machine the CPUs need not run at one speed (2026-12-07, AMD
// Zen 5 VM: 124M's one-thread step took 2,731 ms pinned to one vCPU and 2,316 to the
// other), so a one-thread figure depends on where the thread lands.
#pragma once

#include <vector>

// The CPUs the calling thread may run on, in increasing order; empty where this system
// offers no way to ask (then the functions below do nothing).
std::vector<int> allowed_cpus();

// Lets the calling thread run on `cpus` only (one CPU pins it). Threads it starts later
// inherit that set. False if the system refused.
bool run_on_cpus(const std::vector<int>& cpus);
