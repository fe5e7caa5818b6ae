// Names and priorities of the node's own threads, so `top -H` and `perf`
// show who is busy, and background work yields the cores to what a user or
// a partner waits for.
#ifndef MINGA_NODE_CORE_THREADS_H_
#define MINGA_NODE_CORE_THREADS_H_

namespace minga {

// Names the calling thread (at most 15 characters are kept).
void NameThisThread(const char* name);

// Lowers the calling thread's scheduling priority (nice 10): it runs when
// the cores are not needed by normal-priority threads. For work that
// follows others (the search index follows the store), never for work
// others wait on. Best effort: failures are ignored.
void LowerThisThreadsPriority();

}  // namespace minga

#endif  // MINGA_NODE_CORE_THREADS_H_
