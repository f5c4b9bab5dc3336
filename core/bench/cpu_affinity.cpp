// Linux's sched_getaffinity / sched_setaffinity (pid 0: the calling thread); elsewhere
// no CPU list, and the bench leaves out the figures that need one.
#include "bench/cpu_affinity.h"

#ifdef __linux__
#include <sched.h>

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    return cpus;
}

bool run_on_cpus(const std::vector<int>& cpus) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus) CPU_SET(cpu, &set);
    return !cpus.empty() && sched_setaffinity(0, sizeof(set), &set) == 0;
}

#else

std::vector<int> allowed_cpus() { return {}; }

bool run_on_cpus(const std::vector<int>&) { return false; }

#endif
